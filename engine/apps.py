from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Engine")

    def ready(self):
        from celery.signals import task_postrun
        from django.core.signals import request_finished

        from accounts import access, audit, navigation, signed_in, unit_work

        from . import filestore

        request_finished.connect(filestore.discard_rolled_back, dispatch_uid="engine.filestore")
        task_postrun.connect(
            filestore.discard_rolled_back, weak=False, dispatch_uid="engine.filestore"
        )

        from . import (  # noqa: F401 - message kinds
            calendar_import,
            capabilities,
            deadlines,
            jobs,
            notifications,
        )
        from .models import Delivery, Notification

        access.grant_capabilities(capabilities.GRANTS)
        from . import calendar, duties, steps

        calendar.connect_signals()
        duties.connect_signals()
        steps.connect_signals()
        from . import delegation, selectors

        selectors.register_pool(delegation.deputised_q)
        signed_in.annotate(selectors.UNREAD, selectors.unread_expression)
        signed_in.annotate(delegation.DEPUTISES, delegation.deputises_expression)
        unit_work.register(deadlines.open_work_in_units)
        audit.register_confidential_rows(Notification, notifications.is_confidential)
        audit.register_confidential_rows(
            Delivery, lambda delivery: notifications.is_confidential(delivery.notification)
        )
        navigation.register(
            navigation.NavItem(_("Overdue"), "engine:overdue_list", capabilities.OVERDUE_VIEW)
        )
        navigation.register(
            navigation.NavItem(
                _("Calendar import"),
                "engine:calendar_import",
                capabilities.CALENDAR_MANAGE,
                navigation.Group.ADMIN,
            )
        )
        navigation.register(
            navigation.NavItem(
                _("Failed jobs"),
                "engine:failed_jobs",
                capabilities.JOBS_MANAGE,
                navigation.Group.ADMIN,
            )
        )
        navigation.register(
            navigation.NavItem(
                _("Document templates"),
                "engine:document_templates",
                capabilities.TEMPLATES_MANAGE,
                navigation.Group.ADMIN,
            )
        )
        navigation.register(
            navigation.NavItem(
                _("Chat accounts"),
                "engine:chat_identities",
                capabilities.DELIVERIES_MANAGE,
                navigation.Group.ADMIN,
            )
        )
        navigation.register(
            navigation.NavItem(
                _("Imports"),
                "engine:import_runs",
                capabilities.IMPORTS_VIEW,
                navigation.Group.ADMIN,
            )
        )
