"""Navigation entries, each shown only to users whose roles may use it, grouped into one menu
per domain so the bar fits one line at 1280 px and folds into a short list on a phone."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import access
from .access import Cap


class Group(models.TextChoices):
    """The menus, in the order the bar shows them."""

    CASES = "cases", pgettext_lazy("navigation", "Cases")
    PLANS = "plans", pgettext_lazy("navigation", "Plans")
    MONITORING = "monitoring", pgettext_lazy("navigation", "Monitoring")
    REVIEW = "review", pgettext_lazy("navigation", "Diagnosis and review")
    ADMIN = "admin", pgettext_lazy("navigation", "Manage")


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    capability: str | None = None  # None: every signed-in user
    group: Group | None = None  # None: a link of its own on the bar


ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home"),
    NavItem(_("Org units"), "accounts:unit_list", Cap.UNIT_VIEW, Group.ADMIN),
    NavItem(_("Roster import"), "accounts:roster_import", Cap.ROSTER_IMPORT, Group.ADMIN),
    NavItem(_("Accounts"), "accounts:user_list", Cap.USER_MANAGE, Group.ADMIN),
    NavItem(_("Audit trail"), "accounts:audit_list", Cap.AUDIT_VIEW, Group.ADMIN),
    NavItem(_("Administration"), "admin:index", Cap.ADMIN_SITE, Group.ADMIN),
]


def register(item: NavItem) -> None:
    """Later apps add their entries here from AppConfig.ready()."""
    if item not in ITEMS:
        ITEMS.insert(len(ITEMS) - 1, item)


_urls: dict[tuple, str] = {}


def _url(item: NavItem) -> str:
    """The entry's URL, reversed once per process, script prefix and URLconf: the bar is on
    every page."""
    key = (item.url_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    if key not in _urls:
        _urls[key] = reverse(item.url_name)
    return _urls[key]


def items_for(user) -> list[dict]:
    if not access.is_active_user(user):
        return []
    caps = access.capabilities(user)
    return [
        {"label": item.label, "url": _url(item)}
        for item in ITEMS
        if item.capability is None or item.capability in caps
    ]


def menu_for(user, path: str = "") -> list[dict]:
    """The bar: the links of their own in the order they were registered, then one menu per
    group in Group's order; a group with one entry for this user is a plain link. An entry is
    current when the page is its URL (or below it, except the home page)."""
    if not access.is_active_user(user):
        return []
    caps = access.capabilities(user)
    links, menus = [], {group: [] for group in Group}
    for item in ITEMS:
        if item.capability is not None and item.capability not in caps:
            continue
        url = _url(item)
        entry = {
            "label": item.label,
            "url": url,
            "current": path == url or (url != "/" and path.startswith(url)),
        }
        (links if item.group is None else menus[item.group]).append(entry)
    for group, entries in menus.items():
        if len(entries) == 1:
            links.append(entries[0])
        elif entries:
            links.append(
                {
                    "label": group.label,
                    "group": group.value,
                    "entries": entries,
                    "current": any(e["current"] for e in entries),
                }
            )
    return links
