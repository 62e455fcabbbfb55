from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StateDataConfig(AppConfig):
    name = "workflows.statedata"
    label = "statedata"
    verbose_name = _("State-data platform imports")

    def ready(self):
        from accounts import navigation
        from accounts.navigation import NavItem
        from workflows.monitoring import capabilities as caps

        from . import imports  # noqa: F401 - registers the preview and the import

        navigation.register(
            NavItem(
                _("State-data tables"),
                "statedata:profile_list",
                caps.CONFIGURE,
                navigation.Group.MONITORING,
            )
        )
