"""我的待办 (engine.views.inbox): every open task of every process for the person, filtered by
process and unit, in pages of 25 or 100, in a number of queries that does not grow with the rows;
the navigation's count and the home page say the same."""

import hashlib
import itertools
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from cases.complaints.models import Supervision
from cases.confidential.flows import ReportFlow
from cases.confidential.models import Report
from cases.models import Case
from engine import step_rows
from engine.selectors import flow_key
from tests.cases.factories import file_case

_numbers = itertools.count()


def reports(n):
    numbers = [next(_numbers) for _ in range(n)]
    rows = Report.objects.bulk_create(
        Report(
            number=f"JB-T-{i:05d}",
            subject="funds",
            about="某项目",
            description="经费去向不明",
            code_hash=hashlib.sha256(f"t{i}".encode()).hexdigest(),
        )
        for i in numbers
    )
    step_rows.open_many(Report.objects.filter(pk__in=[r.pk for r in rows]))
    return rows


def supervisions(cast, n):
    case = file_case(cast.teacher, cast.units.rj)
    due = timezone.now() + timedelta(days=5)
    rows = [
        Supervision.objects.create(
            case=case,
            unit=cast.units.xx,
            issued_by=cast.discipline_officer,
            request="请答复",
            due_at=due,
        )
        for _ in range(n)
    ]
    step_rows.open_many(rows)
    return rows


def test_the_inbox_lists_every_process_in_constant_queries(
    cast, client, django_assert_max_num_queries
):
    officer = cast.discipline_officer
    # one person holding two seats sees both processes' steps in one list
    Membership.objects.create(user=officer, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    reports(15)
    supervisions(cast, 15)
    client.force_login(officer)
    client.get(reverse("engine:inbox"))  # per-process caches warm up
    with django_assert_max_num_queries(40) as small:
        page = client.get(reverse("engine:inbox"), {"per": 25})
    assert len(page.context["rows"]) == 25
    reports(100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("engine:inbox"), {"per": 100})
    rows = page.context["rows"]
    # 130 reports and supervisions, and the case the supervisions are about (the officer leads
    # its accepting body too)
    assert len(rows) == 100 and page.context["page"].paginator.count == 131
    assert {type(r.obj) for r in rows} == {Report, Supervision, Case}
    html = page.content.decode()
    assert 'class="count">131<' in html  # the navigation's count
    print(f"inbox queries: 25 rows {len(small.captured_queries)}")


def test_filters_by_process_and_unit(cast, client):
    officer = cast.discipline_officer
    Membership.objects.create(user=officer, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    reports(2)
    supervisions(cast, 3)
    client.force_login(officer)
    by_process = client.get(reverse("engine:inbox"), {"process": flow_key(ReportFlow)})
    assert {type(r.obj) for r in by_process.context["rows"]} == {Report}
    by_unit = client.get(reverse("engine:inbox"), {"unit": cast.units.xx.pk})
    # the 3 supervisions and the case they are about, all of 信息工程系
    assert len(by_unit.context["rows"]) == 4
    other = client.get(reverse("engine:inbox"), {"unit": cast.units.jd.pk})
    assert not other.context["rows"]
    bad = client.get(reverse("engine:inbox"), {"process": "nope", "unit": "x", "per": "7"})
    # a filter it cannot take is refused, never silently dropped (engine.filters)
    assert bad.status_code == 400 and "筛选条件" in bad.content.decode()


def test_home_page_and_card_count_from_the_inbox(cast, client):
    case = file_case(cast.teacher, cast.units.rj)
    client.force_login(cast.xx_leader)
    home = client.get("/")
    tasks = home.context["tasks"]
    assert [t.obj for t in tasks] == [case]
    cards = [c for c in home.context["cards"] if "process=" in c.url]
    # the leader's other inbox cards (warnings, readings...) show, empty: their duties too
    assert {c.title: c.count for c in cards if c.count} == {"待我处理的案件": 1}
    assert "暂无" not in home.content.decode().split('id="my-tasks"')[1].split("</section>")[0]


def test_the_pages_and_the_home_list_walk_the_inbox_in_its_order(cast, client):
    """The unfiltered 我的待办 and the home page read pages of the SQL the navigation's count
    compiled (engine.selectors.inbox_page): the same tasks, in the same order, as the inbox's
    queryset, none twice and none left out."""
    from accounts.views import HOME_TASKS
    from engine.selectors import inbox_tasks

    officer = cast.discipline_officer
    Membership.objects.create(user=officer, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    reports(20)
    supervisions(cast, 12)
    expected = [t.pk for t in inbox_tasks(officer)]
    assert len(expected) == 33
    client.force_login(officer)
    seen = []
    for number in (1, 2):
        page = client.get(reverse("engine:inbox"), {"per": 25, "page": number})
        assert page.context["page"].paginator.count == 33
        seen += [row.pk for row in page.context["rows"]]
    assert seen == expected
    home = client.get("/")
    assert [t.pk for t in home.context["tasks"]] == expected[:HOME_TASKS]


def test_the_home_page_says_how_many_tasks_its_cut_list_leaves_out(cast, client):
    """The home page lists the first 10 tasks; its link to the inbox gives the total, the
    navigation's count (no query of its own)."""
    from accounts.views import HOME_TASKS

    supervisions(cast, HOME_TASKS + 2)  # and the case they are about
    client.force_login(cast.xx_leader)
    home = client.get("/")
    assert len(home.context["tasks"]) == HOME_TASKS and home.context["inbox_count"] == 13
    assert '<a href="/inbox/" id="all-tasks">查看全部待办（共 13 项）</a>' in home.content.decode()
