from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Engine")

    def ready(self):
        from accounts import access, navigation

        from . import capabilities, deadlines, jobs  # noqa: F401 - register message kinds

        access.grant_capabilities(capabilities.GRANTS)
        navigation.register(
            navigation.NavItem(_("Overdue"), "engine:overdue_list", capabilities.OVERDUE_VIEW)
        )
        navigation.register(
            navigation.NavItem(
                _("Calendar import"), "engine:calendar_import", capabilities.CALENDAR_MANAGE
            )
        )
        navigation.register(
            navigation.NavItem(_("Failed jobs"), "engine:failed_jobs", capabilities.JOBS_MANAGE)
        )
