"""Every stage change is an FSM transition with its state log and audit row, set-based on the
batched evaluation path; cycle page and level overview read in a constant number of queries."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts.models import AuditEntry, Membership, OrgUnit, Role
from tests.factories import UserFactory, unit
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import (
    Cycle,
    CycleEvidence,
    Improvement,
    Reading,
    ReadingStatus,
    Stage,
    StageGate,
    Warning,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
# Writes of a stage that bypass the transitions: a queryset update, an attribute assignment, a
# raw UPDATE, or a cycle created at another stage than the first.
STAGE_WRITES = [
    re.compile(r"\.update\((?:[^()]|\([^()]*\))*?\bstage\s*=", re.S),
    re.compile(r"\.stage\s*=(?!=)"),
    re.compile(r"\bSET\s+stage\s*=", re.I),
    re.compile(r"\bCycle\((?:[^()]|\([^()]*\))*?\bstage\s*=", re.S),
]


def _code_files():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests", "bench") or "migrations" in parts:
            continue
        yield path


def test_no_stage_changes_outside_a_transition():
    offenders = [
        f"{path.relative_to(ROOT)}: {m.group(0)[:60]!r}"
        for path in _code_files()
        for pattern in STAGE_WRITES
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_grep_finds_what_it_is_meant_to_find():
    samples = [
        "Cycle.objects.filter(pk=1).update(stage=Stage.WARN)",
        "Cycle.objects.filter(\n    subject_id__in=x.values('s')\n).update(\n    stage='warn')",
        "cycle.stage = Stage.IMPROVE",
        "UPDATE monitoring_cycle SET stage = 'warn'",
        "Cycle(subject_id=1, period=p, stage=Stage.MONITOR)",
    ]
    assert all(any(p.search(s) for p in STAGE_WRITES) for s in samples)
    assert not any(p.search("qs.filter(stage=Stage.WARN)") for p in STAGE_WRITES)


def _majors(cast, n, prefix="专业"):
    return [
        OrgUnit.objects.get(
            pk=unit(f"{prefix}{i}", f"{prefix}{i}", OrgUnit.Kind.MAJOR, cast.units.jd).pk
        )
        for i in range(n)
    ]


def _cycles_at(period, subjects, stage):
    """Cycles walked to `stage` through their transitions (as the system would)."""
    from workflows.monitoring.stages import cycles_move

    cycles = [
        Cycle.objects.create(
            subject=s, period=period, level=s.level, responsible_unit=s.responsible_unit
        )
        for s in subjects
    ]
    for to in (Stage.STANDARD, Stage.PLAN, Stage.IMPLEMENT, Stage.MONITOR):
        if stage == cycles[0].stage:
            break
        cycles_move(Cycle.objects.filter(pk__in=[c.pk for c in cycles]), "advance", args=(to,))
        cycles = list(Cycle.objects.filter(pk__in=[c.pk for c in cycles]))
    return cycles


def _readings(indicator, subjects, period, value):
    Reading.objects.bulk_create(
        Reading(
            indicator=indicator,
            subject=s,
            period=period,
            value=value,
            status=ReadingStatus.APPROVED,
            is_current=True,
            approved_at=timezone.now(),
        )
        for s in subjects
    )


def _students(cast, n, prefix):
    people = []
    for i in range(n):
        user = UserFactory(username=f"{prefix}{i}")
        Membership.objects.create(user=user, org_unit=cast.units.rj, role=Role.STUDENT)
        people.append(services.subject_for_user(user, Level.STUDENT))
    return people


def _evaluate(mon):
    with CaptureQueriesContext(connection) as ctx:
        services.warnings_evaluate(period=mon.y2026, indicators=[mon.attendance])
    return len(ctx.captured_queries)


def test_batched_evaluation_moves_cycles_through_the_transition_set_based(cast, mon, settings):
    # Students of one unit, past the digest threshold in both runs: the unit's notifications
    # then cost the same whatever the number of warnings.
    settings.MONITORING_WARNING_DIGEST_AT = 5
    few = _students(cast, 12, "s")
    _cycles_at(mon.y2026, few[:10], Stage.MONITOR)
    _cycles_at(mon.y2026, few[10:], Stage.TARGET)  # not implementing: stays
    _readings(mon.attendance, few, mon.y2026, 70)
    small = _evaluate(mon)
    stages = dict(Cycle.objects.filter(subject__in=few).values_list("subject", "stage"))
    assert [stages[s.pk] for s in few] == ["warn"] * 10 + ["target"] * 2
    ct = ContentType.objects.get_for_model(Cycle)
    warned = StateLog.objects.filter(content_type=ct, transition="warn")
    assert warned.count() == 10
    assert set(warned.values_list("source_state", "state")) == {("monitor", "warn")}
    assert AuditEntry.objects.filter(action="cycle.warn").count() == 10

    many = _students(cast, 60, "t")
    _cycles_at(mon.y2026, many, Stage.IMPLEMENT)
    _readings(mon.attendance, many, mon.y2026, 70)
    large = _evaluate(mon)
    assert Cycle.objects.filter(subject__in=many, stage=Stage.WARN).count() == 60
    assert StateLog.objects.filter(content_type=ct, transition="warn").count() == 70
    assert AuditEntry.objects.filter(action="cycle.warn").count() == 70
    assert large <= small + 2, (small, large)


def test_the_move_to_warn_is_undone_with_its_cause(cast, mon, monkeypatch):
    """Same transaction: if the evaluation fails after the move, neither is kept."""
    (subject,) = _students(cast, 1, "s")
    (cycle,) = _cycles_at(mon.y2026, [subject], Stage.MONITOR)
    _readings(mon.attendance, [subject], mon.y2026, 70)

    def boom(*args, **kwargs):
        raise RuntimeError("after the move")

    from workflows.monitoring import stages

    real = stages.cycles_move

    def move_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        boom()

    monkeypatch.setattr(stages, "cycles_move", move_then_fail)
    with pytest.raises(RuntimeError):
        services.warnings_evaluate(period=mon.y2026, indicators=[mon.attendance])
    cycle.refresh_from_db()
    assert cycle.stage == Stage.MONITOR
    assert not Warning.objects.exists()
    assert not StateLog.objects.filter(transition="warn").exists()


def _fill(cast, mon, cycle, n):
    """n of everything a cycle page lists: evidence, warnings' improvements, readings."""
    gate = StageGate.objects.filter(level=cycle.level).first()
    CycleEvidence.objects.bulk_create(
        CycleEvidence(cycle=cycle, gate=gate, text=f"证据{i}", added_by=cast.software_lead)
        for i in range(n)
    )
    Improvement.objects.bulk_create(
        Improvement(
            subject=cycle.subject,
            period=cycle.period,
            responsible_unit=cycle.responsible_unit,
            title=f"改进{i}",
            finding="复核发现",
            cause_analysis="原因",
            measures="措施",
            owner=cast.software_lead,
            deadline=datetime.date(2027, 3, 1),
            created_by=cast.software_lead,
        )
        for i in range(n)
    )


def test_cycle_page_and_overview_take_constant_queries(cast, mon, chains, login):
    client = login(cast.quality_officer)
    small_cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    services.cycle_link_items(actor=cast.software_lead, cycle=small_cycle)
    _fill(cast, mon, small_cycle, 2)
    url = f"/monitoring/cycles/{small_cycle.pk}/"
    overview = f"/monitoring/overview/?period={mon.y2026.pk}&level=major&stage=target"
    client.get(url)
    with CaptureQueriesContext(connection) as page_small:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as overview_small:
        assert client.get(overview).status_code == 200

    # Ten times the data: more evidence, improvements, majors with their cycles.
    _fill(cast, mon, small_cycle, 20)
    subjects = [services.subject_for_unit(u) for u in _majors(cast, 30)]
    _cycles_at(mon.y2026, subjects, Stage.TARGET)
    with CaptureQueriesContext(connection) as page_large:
        response = client.get(url)
    assert "改进19" in response.content.decode()
    with CaptureQueriesContext(connection) as overview_large:
        response = client.get(overview)
    assert "专业29" in response.content.decode()
    assert len(page_large) == len(page_small), (len(page_small), len(page_large))
    assert len(overview_large) == len(overview_small)


def test_overview_flags_stuck_cycles_and_drills_down(cast, mon, login, settings):
    settings.MONITORING_CYCLE_STUCK_WORKING_DAYS = 5
    subjects = [services.subject_for_unit(u) for u in _majors(cast, 3)]
    cycles = _cycles_at(mon.y2026, subjects, Stage.TARGET)
    old = timezone.now() - datetime.timedelta(days=30)
    # A cycle that has not moved for a month (the clock, not the stage, is set back).
    Cycle.objects.filter(pk=cycles[0].pk).update(stage_changed_at=old)
    client = login(cast.quality_officer)
    page = client.get(f"/monitoring/overview/?period={mon.y2026.pk}&level=").content.decode()
    assert "5个工作日" in page
    major_row = page[page.index("专业</a>") :].split("</tr>")[0]
    assert 'level-red">1<' in major_row.replace(' title="停滞"', "")
    stuck = client.get(
        f"/monitoring/overview/?period={mon.y2026.pk}&level=major&stuck=1"
    ).content.decode()
    listed = stuck[stuck.index('id="cycles"') :]
    assert "专业0" in listed and "专业1" not in listed


def test_outcomes_export_for_the_hr_appraisal(cast, mon, chains, login):
    import io

    from openpyxl import load_workbook

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    services.cycle_link_items(actor=cast.software_lead, cycle=cycle)
    _fill(cast, mon, cycle, 3)
    Improvement.objects.filter(title="改进0").update(status="closed", effective=True)
    client = login(cast.quality_officer)
    response = client.get(f"/monitoring/overview/{mon.y2026.pk}/appraisal.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][0] == "层面"
    body = [r for r in rows[3:] if r[1] == "软件技术"]
    assert body == [("专业", "软件技术", "软件技术", "目标", 1, 0, 1, 3, 1, None, None, None, None)]
    assert login(cast.student).get(
        f"/monitoring/overview/{mon.y2026.pk}/appraisal.xlsx"
    ).status_code in (403, 404)


@pytest.mark.parametrize("bad", [{"stage": "nowhere"}, {"stuck": "perhaps"}])
def test_overview_drill_refuses_a_bad_filter_value(cast, mon, login, bad):
    client = login(cast.quality_officer)
    query = {"period": mon.y2026.pk, "level": "major"}
    assert client.get("/monitoring/overview/", query).status_code == 200
    response = client.get("/monitoring/overview/", {**query, **bad})
    assert response.status_code == 400
    assert "筛选条件" in response.content.decode()


def test_cycle_page_with_its_work_and_reports_and_the_five_levels_take_constant_queries(
    cast, mon, chains, login, django_capture_on_commit_callbacks
):
    """The cycle page (its progress line, its report jobs, every link) and the college's view
    of all five levels, at a small size and at ten times it: the same number of queries."""
    from workflows.monitoring.models import CycleReport

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=cast.units.rj
    )
    services.cycle_link_items(actor=cast.software_lead, cycle=cycle)  # opens its step
    _fill(cast, mon, cycle, 2)
    CycleReport.objects.bulk_create(
        CycleReport(cycle=cycle, requested_by=cast.software_lead) for _ in range(2)
    )
    majors = [services.subject_for_unit(u) for u in _majors(cast, 3, "甲")]
    _cycles_at(mon.y2026, majors, Stage.IMPLEMENT)
    _readings(mon.employment, [mon.rj, *majors], mon.y2026, 97)
    page, overview = cycle.get_absolute_url(), f"/monitoring/overview/?period={mon.y2026.pk}"

    def counted(client):
        client.get(page)
        with CaptureQueriesContext(connection) as on_page:
            assert client.get(page).status_code == 200
        with CaptureQueriesContext(connection) as on_overview:
            assert client.get(overview).status_code == 200
        return len(on_page), len(on_overview)

    small = counted(login(cast.quality_officer))
    small_runner = counted(login(cast.software_lead))

    # ten times the data: evidence, improvements, report jobs, subjects with cycles and steps,
    # their readings
    _fill(cast, mon, cycle, 20)
    CycleReport.objects.bulk_create(
        CycleReport(cycle=cycle, requested_by=cast.software_lead) for _ in range(20)
    )
    more = [services.subject_for_unit(u) for u in _majors(cast, 30, "乙")]
    _cycles_at(mon.y2026, more, Stage.IMPLEMENT)
    _readings(mon.employment, more, mon.y2026, 97)
    large = counted(login(cast.quality_officer))
    assert large == small, (small, large)
    body = login(cast.quality_officer).get(overview).content.decode()
    assert "33" in body  # the major level's cycles, counted in the table
    assert counted(login(cast.software_lead)) == small_runner
