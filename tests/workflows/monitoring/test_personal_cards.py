"""The home page's personal spiral: a teacher's or a student's own cycle (its stage and what it
lacks, linking to the cycle page), and a class adviser's students with their stages. Each card
costs one query (the home page is a hot path)."""

import datetime

import pytest

from accounts import access
from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from workflows.levels import Level
from workflows.monitoring import cards, services
from workflows.monitoring.models import Cycle, Period, PeriodKind, Stage
from workflows.monitoring.stages import cycles_move

from .factories import PeriodFactory

pytestmark = pytest.mark.django_db


def _cycle(cast, user, level, period, upto=()):
    cycle = Cycle.objects.create(
        subject=services.subject_for_user(user, level),
        period=period,
        level=level,
        responsible_unit=cast.units.rj,
    )
    for to in upto:
        cycles_move(Cycle.objects.filter(pk=cycle.pk), "advance", args=(to,))
    return cycle


def test_a_teachers_home_shows_the_stage_and_what_is_missing(
    cast, mon, login, django_assert_num_queries
):
    cycle = _cycle(
        cast,
        cast.teacher,
        Level.TEACHER,
        mon.y2026,
        ("standard", "plan", "implement", "monitor", "diagnose"),
    )
    home = login(cast.teacher).get("/").content.decode()
    assert "我的诊改螺旋" in home
    assert f'href="/monitoring/cycles/{cycle.pk}/"' in home
    assert "诊断" in home and "请撰写个人诊改报告" in home
    access.grants(cast.teacher)  # loaded once per request, shared by every card
    with django_assert_num_queries(1):
        (card,) = cards.own_cycle_cards(cast.teacher)
    assert card.note == "请撰写个人诊改报告。"


def test_the_note_follows_the_stage(cast, mon, login):
    cycle = _cycle(cast, cast.teacher, Level.TEACHER, mon.y2026, ("standard", "plan"))
    (card,) = cards.own_cycle_cards(cast.teacher)
    assert card.note == "尚缺：教师个人发展规划。"  # the plan stage's gate, not yet evidenced
    assert cycle.get_absolute_url() == card.url
    # nobody without a personal role gets the card, and it costs them nothing
    assert cards.own_cycle_cards(cast.xx_leader) == []


def test_a_class_adviser_sees_their_students_with_stages(
    cast, mon, login, django_assert_num_queries
):
    adviser = UserFactory(username="adviser", full_name="钱老师")
    MembershipFactory(user=adviser, org_unit=cast.units.rj, role=Role.CLASS_ADVISER)
    _cycle(cast, cast.student, Level.STUDENT, mon.y2026, ("standard",))
    other = UserFactory(username="s2", full_name="钱小红")
    MembershipFactory(user=other, org_unit=cast.units.rj, role=Role.STUDENT)
    _cycle(cast, other, Level.STUDENT, mon.y2026)
    elsewhere = UserFactory(username="s3", full_name="孙小丽")
    MembershipFactory(user=elsewhere, org_unit=cast.units.jdyt, role=Role.STUDENT)
    Cycle.objects.create(
        subject=services.subject_for_user(elsewhere, Level.STUDENT),
        period=mon.y2026,
        level=Level.STUDENT,
        responsible_unit=cast.units.jdyt,
    )
    home = login(adviser).get("/").content.decode()
    assert "我的学生的诊改螺旋" in home
    assert "郑小明" in home and "钱小红" in home and "孙小丽" not in home
    access.grants(adviser)
    with django_assert_num_queries(1):
        (card,) = cards.adviser_cards(adviser)
    assert card.count == 2
    assert sorted((name, stage) for name, stage, _url in card.rows) == [
        (f"郑小明 · {mon.y2026.name}", str(Stage.STANDARD.label)),
        (f"钱小红 · {mon.y2026.name}", str(Stage.TARGET.label)),
    ]


def test_every_open_cycle_has_its_card_the_years_first_in_one_query(
    cast, mon, login, django_assert_num_queries
):
    """A teacher runs the year's cycle and, within it, the term's (both periods open): the home
    page shows both, each named by its period, the year's first; a closed year's older cycle
    shows only when nothing is open. One query whatever their number."""
    term = PeriodFactory(
        code="2026-1",
        name="2026-2027学年第1学期",
        kind=PeriodKind.TERM,
        end=datetime.date(2027, 1, 17),
    )
    old = PeriodFactory(
        code="2025",
        name="2025学年",
        start=datetime.date(2025, 9, 1),
        end=datetime.date(2026, 8, 31),
        is_open=False,
    )
    diagnose = ("standard", "plan", "implement", "monitor", "diagnose")
    year = _cycle(cast, cast.teacher, Level.TEACHER, mon.y2026, diagnose)
    in_term = _cycle(cast, cast.teacher, Level.TEACHER, term, diagnose)
    # the personal report is written on the yearly cycle only
    page = login(cast.teacher).get("/review/personal/").content.decode()
    assert page.count("撰写我的个人诊改报告") == 1
    _cycle(cast, cast.teacher, Level.TEACHER, old)
    access.grants(cast.teacher)
    with django_assert_num_queries(1):
        shown = cards.own_cycle_cards(cast.teacher)
    assert [(c.title, c.url) for c in shown] == [
        ("我的诊改螺旋 · 2026学年", year.get_absolute_url()),
        ("我的诊改螺旋 · 2026-2027学年第1学期", in_term.get_absolute_url()),
    ]
    # the personal report is written on the year's cycle; the term's diagnosis gate is the
    # term's own self-diagnosis record (a gate of term cycles), not the year's report
    assert shown[0].note == "请撰写个人诊改报告。"
    assert shown[1].note == "尚缺：教师本学期自主诊断记录。"
    home = login(cast.teacher).get("/").content.decode()
    assert home.index("我的诊改螺旋 · 2026学年") < home.index("我的诊改螺旋 · 2026-2027学年第1学期")
    # the cycle pages agree: the year's offers the report, the term's says where it is written
    client = login(cast.teacher)
    year_page = client.get(year.get_absolute_url()).content.decode()
    term_page = client.get(in_term.get_absolute_url()).content.decode()
    assert "撰写我的个人诊改报告" in year_page
    assert "撰写我的个人诊改报告" not in term_page and "个人诊改报告按学年撰写" in term_page
    # the stage's missing evidence, full-width: the term's record; the year's still the report
    assert "教师本学期自主诊断记录（文档）" in term_page and "教师个人诊改报告（" not in term_page
    assert "教师个人诊改报告（文档）" in year_page
    # the term's page leads to the year's spiral, where the report is written
    assert f'<a href="{year.get_absolute_url()}" id="year-cycle">学年的诊改螺旋</a>' in term_page
    # the term closed: the year's card alone; everything closed: the latest year's
    Period.objects.filter(pk=term.pk).update(is_open=False)
    assert [c.url for c in cards.own_cycle_cards(cast.teacher)] == [year.get_absolute_url()]
    Period.objects.filter(pk=mon.y2026.pk).update(is_open=False)
    assert [c.url for c in cards.own_cycle_cards(cast.teacher)] == [year.get_absolute_url()]


def test_a_terms_diagnosis_is_met_by_its_record_added_on_the_page(cast, mon, login):
    """The term cycle's diagnosis waits for evidence (not a report nobody can write on it): the
    teacher adds the term's self-diagnosis record through the page and the cycle may move on;
    with no year cycle, the page names the year's spiral without a link."""
    from workflows.monitoring import cycle_steps
    from workflows.monitoring.models import StageGate

    term = PeriodFactory(
        code="2026-1",
        name="2026-2027学年第1学期",
        kind=PeriodKind.TERM,
        end=datetime.date(2027, 1, 17),
    )
    diagnose = ("standard", "plan", "implement", "monitor", "diagnose")
    in_term = _cycle(cast, cast.teacher, Level.TEACHER, term, diagnose)
    assert cycle_steps.work_of(Cycle.objects.get(pk=in_term.pk)) == cycle_steps.EVIDENCE
    client = login(cast.teacher)
    page = client.get(in_term.get_absolute_url())
    html = page.content.decode()
    assert "（见学年的诊改螺旋）" in html and 'id="year-cycle"' not in html
    choices = page.context["evidence_form"].fields["gate"].queryset
    assert [g.label for g in choices] == ["教师本学期自主诊断记录"]
    report = StageGate.objects.get(level=Level.TEACHER, label="教师个人诊改报告")
    refused = client.post(
        f"/monitoring/cycles/{in_term.pk}/evidence/", {"gate": report.pk, "text": "年度报告"}
    )
    assert refused.status_code in (200, 302) and not in_term.evidence.exists()
    record = StageGate.objects.get(level=Level.TEACHER, label="教师本学期自主诊断记录")
    client.post(
        f"/monitoring/cycles/{in_term.pk}/evidence/",
        {"gate": record.pk, "text": "本学期课堂教学自主诊断：出勤率与满意度达标，作业批改偏慢。"},
    )
    assert [e.gate_id for e in in_term.evidence.all()] == [record.pk]
    assert cycle_steps.work_of(Cycle.objects.get(pk=in_term.pk)) == cycle_steps.DECIDE
