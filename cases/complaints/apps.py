from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Anonymous complaints (投诉) followed with a tracking code, and the discipline office's
    oversight of every complaint with supervision requests (督办)."""

    name = "cases.complaints"
    label = "complaints"
    verbose_name = _("Complaint oversight")

    def ready(self):
        from accounts import access, home, navigation
        from engine import attachments, notifications

        from . import flows, services  # noqa: F401 (flows: the step table registers)
        from .capabilities import CAPABILITIES, OVERSEE
        from .models import Supervision
        from .selectors import home_cards, supervision_visible

        access.grant_capabilities(CAPABILITIES)
        for kind, (label, title, body) in services.KINDS.items():
            notifications.register_kind(
                kind, label=label, title=title, body=body, audience=services.AUDIENCE[kind]
            )
        attachments.register_access(Supervision, supervision_visible)
        navigation.register(
            navigation.NavItem(
                _("Complaint oversight"), "complaints:oversight", OVERSEE, navigation.Group.CASES
            )
        )
        home.register(home_cards)
