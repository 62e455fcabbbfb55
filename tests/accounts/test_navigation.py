"""The navigation bar: one menu per domain, only what the role may use."""

import pytest
from django.urls import reverse

from accounts import navigation

pytestmark = pytest.mark.django_db


def _labels(menu):
    return [str(entry["label"]) for entry in menu]


def test_the_quality_office_gets_one_menu_per_domain(cast):
    menu = navigation.menu_for(cast.quality_officer, reverse("cases:list"))
    groups = {entry["group"]: entry for entry in menu if "entries" in entry}
    assert {"cases", "review", "admin"} <= set(groups)
    cases = groups["cases"]
    assert reverse("cases:list") in [e["url"] for e in cases["entries"]]
    assert cases["current"]  # the page is in this menu
    assert not groups["admin"]["current"]
    # links of their own first, then the menus in Group's order
    order = [navigation.Group(g).value for g in groups]
    assert order == [g.value for g in navigation.Group if g.value in groups]
    assert str(menu[0]["label"]) == "首页"


def test_a_menu_of_one_entry_is_a_plain_link(cast):
    menu = navigation.menu_for(cast.student)
    assert all(len(entry.get("entries", [None, None])) > 1 for entry in menu)
    flat = {e["url"] for e in navigation.items_for(cast.student)}
    in_menu = {e["url"] for entry in menu for e in entry.get("entries", [entry])}
    assert in_menu == flat  # nothing lost, nothing added
    assert reverse("accounts:roster_import") not in in_menu


def test_the_bar_renders_the_menus(cast, login):
    page = login(cast.quality_officer).get(reverse("home")).content.decode()
    assert '<details class="navgroup" data-group="cases">' in page
    assert page.index('data-group="cases"') < page.index("退出登录")
