from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfidentialConfig(AppConfig):
    name = "cases.confidential"
    label = "confidential"
    verbose_name = _("Confidential reports")

    def ready(self):
        from accounts import access, home, navigation
        from accounts import audit as accounts_audit
        from accounts.models import Role
        from engine import attachments, notifications

        from . import capabilities as caps
        from . import flows, selectors  # noqa: F401 (flows: the step table registers)
        from .models import Report, ReportAddition

        access.grant_capabilities({Role.DISCIPLINE_OFFICER: caps.OFFICE})
        navigation.register(
            navigation.NavItem(
                _("File a report"), "confidential:file", None, navigation.Group.CASES
            )
        )
        navigation.register(
            navigation.NavItem(
                _("Reports (举报)"),
                "confidential:office_list",
                caps.REPORT_VIEW,
                navigation.Group.CASES,
            )
        )
        for model in (Report, ReportAddition):
            attachments.register_access(model, can_view=selectors.can_view_attachment_of)
        for model in (Report, ReportAddition):
            accounts_audit.register_confidential(model, can_view=selectors.can_see_audit)
        home.register(selectors.home_cards)
        for kind, (label, title, body) in caps.NOTIFICATIONS.items():
            notifications.register_kind(
                kind, label=label, title=title, body=body, audience=caps.AUDIENCE[kind]
            )
