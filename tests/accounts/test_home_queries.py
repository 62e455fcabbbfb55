"""The home page reads a constant, small number of queries for every role, however many open
items wait: the cards count from the one inbox's grouped counts and from what the request has
already loaded (memberships, the bell's count with the person)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engine.models import Notification
from tests.cases.factories import file_case
from tests.conftest import PEOPLE
from tests.workflows.plans.factories import draft_plan
from workflows.plans import services as plan_services

HOME_QUERIES = 12
ROLES = [person[0] for person in PEOPLE]


def open_items(cast, n: int) -> None:
    """`n` of each kind of open item the cast's inboxes and cards show: complaints filed by a
    student and a teacher (the accepting bodies' steps), plans submitted for review (the
    reviewer's step), and unread notifications for everyone."""
    for i in range(n):
        file_case(cast.student, cast.units.rj, title=f"课堂秩序{i}")
        file_case(cast.teacher, cast.units.jdyt, title=f"实训安全{i}")
        plan = draft_plan(cast, title=f"专项规划{i}", unit=cast.units.xx, actor=cast.xx_leader)
        plan_services.item_submit(actor=cast.xx_leader, item=plan)
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=getattr(cast, who),
            kind="test",
            title="通知",
            dedup_key=f"{who}-{n}-{i}",
            delivered_at=now,
        )
        for who in ROLES
        for i in range(n)
    )


def home_queries(client, user) -> tuple[int, object]:
    client.force_login(user)
    # once first: what a process caches for its life (content types, the calendar) is not
    # the page's
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("home"))
    assert page.status_code == 200
    return len(queries), page


@pytest.mark.parametrize("who", ROLES)
def test_the_home_page_reads_a_constant_number_of_queries_for_every_role(cast, client, who):
    user = getattr(cast, who)
    open_items(cast, 1)
    few, page = home_queries(client, user)
    open_items(cast, 9)
    many, page_many = home_queries(client, user)
    print(f"{who}: {few} queries with one item of each kind, {many} with ten")
    assert few <= HOME_QUERIES
    assert many == few
    # the page did read the items: the bell counts the person's unread notifications
    assert page.context["unread_notifications"] == 1
    assert page_many.context["unread_notifications"] == 10


@pytest.mark.parametrize("who", ["xx_leader", "jd_leader", "quality_officer", "chair"])
def test_the_cards_and_the_bell_count_what_the_inbox_lists(cast, client, who):
    """The cards read the inbox's grouped counts: each inbox card says as many as 我的待办
    lists of its process, and the bell as many as it lists in all."""
    from engine.selectors import FLOWS, flow_key

    open_items(cast, 3)
    client.force_login(getattr(cast, who))
    home = client.get(reverse("home")).context
    inbox = reverse("engine:inbox")
    listed = client.get(inbox).context["page"].paginator.count
    assert home["inbox_count"] == listed
    compared = 0
    for card in home["cards"]:
        for flow_class in FLOWS:
            if card.url == f"{inbox}?process={flow_key(flow_class).replace('/', '%2F')}":
                page = client.get(inbox, {"process": flow_key(flow_class)}).context["page"]
                assert card.count == page.paginator.count, card.title
                compared += 1
    assert compared, "no inbox card to compare"
    if who in ("xx_leader", "jd_leader"):
        # the complaints filed about their majors wait for them as the accepting body
        assert listed >= 3
