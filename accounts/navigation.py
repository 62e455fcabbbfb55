"""Navigation entries, each shown only to users whose roles may use it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import access
from .access import Cap


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str | None = None  # None: every signed-in user


ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home"),
    NavItem(_("Org units"), "accounts:unit_list", Cap.UNIT_VIEW),
    NavItem(_("Roster import"), "accounts:roster_import", Cap.ROSTER_IMPORT),
    NavItem(_("Accounts"), "accounts:user_list", Cap.USER_MANAGE),
    NavItem(_("Audit trail"), "accounts:audit_list", Cap.AUDIT_VIEW),
    NavItem(_("Administration"), "admin:index", Cap.ADMIN_SITE),
]


def register(item: NavItem) -> None:
    """Later apps add their entries here from AppConfig.ready()."""
    if item not in ITEMS:
        ITEMS.insert(len(ITEMS) - 1, item)


def items_for(user) -> list[dict]:
    if not access.is_active_user(user):
        return []
    caps = access.capabilities(user)
    return [
        {"label": item.label, "url": reverse(item.url_name)}
        for item in ITEMS
        if item.capability is None or item.capability in caps
    ]
