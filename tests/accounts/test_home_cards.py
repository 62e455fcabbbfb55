"""The home page's cards follow one rule (accounts.home.cards_for): a card for something a role of
the person handles shows even when it counts nothing, and says so; a card for something their
roles never handle shows only while it counts something (a step handed to them, 转办)."""

import re

from django.urls import reverse

from engine import holders
from engine import services as engine_services
from tests.cases.factories import file_case

CASES = "待我处理的案件"
WARNINGS = "待我确认的预警"
READINGS = "待审核数据"
SUPERVISION = "待答复的督办单"
PLAN_REVIEWS = "待审核的规划、目标与标准"
VOTES = "待委员会审批"
EXPERT = "待复核的报告"
FLAGS = "⚑ 拟采取处理措施的单位"
NONE = "暂无待办。"  # what an empty card of steps waiting for the person says

CARD = re.compile(
    r'<div class="card"><div class="muted">([^<]*)</div>\s*'
    r'(?:<div class="stat">(?:<a [^>]*>)?(\d+)|<p class="empty">([^<]*)</p>)'
)


def cards_on_home(client, user) -> dict:
    """{title: count, or the empty card's text} of the cards on the person's home page."""
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    section = html.split('id="my-items"', 1)[1] if 'id="my-items"' in html else ""
    return {title: int(n) if n else empty for title, n, empty in CARD.findall(section)}


def test_a_card_for_a_roles_duty_says_it_is_empty_and_one_for_no_duty_of_theirs_does_not_show(
    cast, client
):
    expected = {
        # (shown empty, with this text) and (not shown)
        "xx_leader": (
            {CASES: NONE, WARNINGS: NONE, READINGS: NONE, SUPERVISION: NONE, PLAN_REVIEWS: NONE},
            {VOTES, EXPERT, FLAGS},
        ),
        "teacher": ({WARNINGS: NONE}, {CASES, READINGS, SUPERVISION, VOTES}),
        "student": ({WARNINGS: NONE}, {CASES, READINGS, PLAN_REVIEWS, EXPERT}),
        "quality_officer": (
            {CASES: NONE, SUPERVISION: NONE, FLAGS: "暂无未办结事项。"},
            {READINGS, VOTES, EXPERT},
        ),
        "chair": ({CASES: NONE, VOTES: NONE}, {WARNINGS, READINGS}),
        "committee_member": ({VOTES: NONE}, {FLAGS, WARNINGS}),
        "expert": ({EXPERT: NONE}, {CASES, WARNINGS, VOTES}),
    }
    for who, (empty, absent) in expected.items():
        cards = cards_on_home(client, getattr(cast, who))
        assert {t: cards.get(t) for t in empty} == empty, who
        assert not absent & set(cards), who


def test_a_card_of_no_duty_of_theirs_shows_while_a_step_was_handed_to_them(cast, client):
    """A teacher handles no case; a department leader hands them a case's step (转办): the card
    shows with its count."""
    case = file_case(cast.student, cast.units.xx, title="实训课无人指导")
    assert CASES not in cards_on_home(client, cast.teacher)
    [task] = holders.open_tasks(case)
    engine_services.task_reassign(
        actor=cast.xx_leader, task=task, to_user=cast.teacher, reason="由任课教师吴芳先行核实"
    )
    assert cards_on_home(client, cast.teacher)[CASES] == 1


def test_an_office_leader_reads_the_duties_of_an_office_not_of_a_teaching_department(cast, client):
    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    office_head = UserFactory(username="jwc_head", full_name="林涛")
    Membership.objects.create(
        user=office_head, org_unit=cast.units.jwc, role=Role.DEPARTMENT_LEADER
    )
    for user, says, never in (
        (office_head, "办理交办本部门的任务与整改", "受理系部层面投诉"),
        (cast.xx_leader, "受理系部层面投诉", "办理交办本部门的任务与整改"),
    ):
        client.force_login(user)
        page = client.get(reverse("home")).content.decode()
        assert "部门负责人" in page and says in page and never not in page, user.username
