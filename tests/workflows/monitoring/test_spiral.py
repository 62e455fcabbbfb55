"""Whole spirals through the URLs, as people click them: 软件技术 (a major) and 吴芳 (a teacher),
from the targets in force to the next cycle with the revised targets."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.models import AuditEntry
from workflows.monitoring.models import (
    Cycle,
    CycleStandard,
    CycleTarget,
    Improvement,
    ImprovementStatus,
    Reading,
    Stage,
    StageGate,
    Warning,
    WarningStatus,
)
from workflows.plans import services as plans
from workflows.plans.models import Target

pytestmark = pytest.mark.django_db


def _gate(cycle, stage):
    return StageGate.objects.filter(level=cycle.level, stage=stage).first()


def _evidence(client, cycle, text="证据"):
    gate = _gate(cycle, cycle.stage)
    return client.post(
        f"/monitoring/cycles/{cycle.pk}/evidence/", {"gate": gate.pk, "text": text}, follow=True
    )


def _advance(client, cycle):
    response = client.post(f"/monitoring/cycles/{cycle.pk}/advance/", follow=True)
    cycle.refresh_from_db()
    return response


def _reading(login, cast, indicator, subject_key, period, value, capture):
    client = login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {"indicator": indicator.pk, "subject": subject_key, "period": period.pk, "value": value},
    )
    reading = Reading.objects.filter(indicator=indicator).latest("pk")
    client = login(cast.xx_leader)
    with capture(execute=True):
        client.post(f"/monitoring/readings/{reading.pk}/approve/")
    return reading


def _log(cycle):
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Cycle), object_id=cycle.pk
        )
        .order_by("pk")
        .values_list("transition", "source_state", "state")
    )


def test_whole_spiral_for_software_technology(
    cast, mon, chains, login, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # The quality office opens the period for the major level: 软件技术's cycle is built from
    # its scheme's target and standard in force (version 1), never 物流管理's.
    client = login(cast.quality_officer)
    with capture(execute=True):
        client.post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["major"]})
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    assert cycle.stage == Stage.TARGET
    assert list(CycleTarget.objects.filter(cycle=cycle).values_list("target", "version")) == [
        (chains.employment.pk, 1)
    ]
    assert list(CycleStandard.objects.filter(cycle=cycle).values_list("standard", "version")) == [
        (chains.major_standard.pk, 1)
    ]
    wl = Cycle.objects.get(subject=mon.wl, period=mon.y2026)
    assert list(wl.targets.all()) == [chains.wl_target]

    # Every link shows on the cycle page.
    client = login(cast.software_lead)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    for shown in (
        "毕业生就业率",
        "软件技术专业建设方案",
        "软件技术专业教学标准",
        "新增三家校企合作企业",
    ):
        assert shown in page
    assert "就业率" in page and "本期无已审核数据" in page
    assert "物流专业对口率" not in page

    # Targets and standards are linked decisions of the committee: they meet their gates.
    _advance(client, cycle)
    assert cycle.stage == Stage.STANDARD
    _advance(client, cycle)
    assert cycle.stage == Stage.PLAN
    # The plan and its implementation need their documents.
    page = _advance(client, cycle)
    assert cycle.stage == Stage.PLAN
    for expected in (Stage.IMPLEMENT, Stage.MONITOR):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected
    # Monitoring needs an approved reading of every linked indicator.
    page = _advance(client, cycle)
    assert cycle.stage == Stage.MONITOR
    assert "本期已审核的监测数据" in page.content.decode()

    # A red reading raises a warning: the cycle moves to 预警 through its transition.
    _reading(login, cast, mon.employment, "rj", mon.y2026, "80", capture)
    warning = Warning.objects.get()
    cycle.refresh_from_db()
    assert cycle.stage == Stage.WARN
    assert AuditEntry.objects.filter(action="cycle.warn", object_id=str(cycle.pk)).count() == 1

    # The team answers with an improvement: 改进.
    client = login(cast.software_lead)
    client.post(
        f"/monitoring/warnings/{warning.pk}/improve/",
        {
            "title": "提高就业率",
            "cause_analysis": "校企合作岗位不足",
            "measures": "新增三家合作企业",
            "owner": cast.software_lead.pk,
            "deadline": "2030-03-31",
        },
    )
    improvement = Improvement.objects.get()
    cycle.refresh_from_db()
    assert cycle.stage == Stage.IMPROVE
    client.post(f"/monitoring/improvements/{improvement.pk}/submit/", {"evidence": "三份合作协议"})

    # The data comes back inside the band; the approver closes the last improvement: back to
    # 实施 in the same transaction.
    _reading(login, cast, mon.employment, "rj", mon.y2026, "93", capture)
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    login(cast.xx_leader).post(
        f"/monitoring/improvements/{improvement.pk}/sign-off/",
        {"effective": "1", "note": "就业率回升至93%"},
    )
    improvement.refresh_from_db()
    assert improvement.status == ImprovementStatus.CLOSED
    cycle.refresh_from_db()
    assert cycle.stage == Stage.IMPLEMENT

    # Mid-cycle the team revises the target through the committee: this cycle keeps version 1,
    # the page says a newer version is in force.
    change = plans.change_request_create(
        actor=cast.software_lead,
        item=chains.employment,
        summary="提高就业率目标",
        reason="区域产业需求增长",
        proposed={"title": "毕业生就业率（修订）"},
    )
    for member in (cast.committee_member, cast.chair):
        login(member).post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    assert Target.objects.get(pk=chains.employment.pk).version == 2
    client = login(cast.software_lead)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "v1" in page and "之后已修订：现行v2" in page

    # Back through monitoring into the large loop, to the end.
    _evidence(client, cycle)
    _advance(client, cycle)
    assert cycle.stage == Stage.MONITOR
    _advance(client, cycle)
    assert cycle.stage == Stage.DIAGNOSE
    for expected in (Stage.INCENTIVE, Stage.LEARN, Stage.INNOVATE, Stage.IMPROVED):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected

    # The next cycle opens built from the revised target (version 2).
    nxt = Cycle.objects.get(subject=mon.rj, period=mon.y2027)
    assert nxt.previous == cycle and nxt.stage == Stage.TARGET
    assert list(CycleTarget.objects.filter(cycle=nxt).values_list("target", "version")) == [
        (chains.employment.pk, 2)
    ]
    assert CycleTarget.objects.get(cycle=cycle).version == 1
    page = client.get(f"/monitoring/cycles/{nxt.pk}/").content.decode()
    assert "毕业生就业率（修订）" in page and "v2" in page

    # Every move is in the state log, with the audit trail.
    transitions = [t for t, _s, _t in _log(cycle)]
    assert transitions == [
        "advance",
        "advance",
        "advance",
        "advance",
        "warn",
        "start_improving",
        "back_to_implementing",
        "advance",
        "advance",
        "advance",
        "advance",
        "advance",
        "advance",
    ]
    assert _log(cycle)[4] == ("warn", "monitor", "warn")
    assert AuditEntry.objects.filter(
        object_id=str(cycle.pk), action__startswith="cycle."
    ).count() >= len(transitions)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert 'class="node current"' in page
    for shown in ("提高就业率", "毕业生就业率", "下一周期"):
        assert shown in page


def test_whole_spiral_for_a_teacher(cast, mon, chains, login, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    client = login(cast.quality_officer)
    with capture(execute=True):
        client.post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["teacher"]})
    teacher_subject = Cycle.objects.get(subject__subject_user=cast.teacher).subject
    cycle = Cycle.objects.get(subject=teacher_subject, period=mon.y2026)
    # 吴芳's own target and the college's teacher standard; not the other teacher's plan.
    assert list(cycle.targets.all()) == [chains.teaching]
    assert list(cycle.standards.all()) == [chains.teacher_standard]
    other = Cycle.objects.get(subject__subject_user=cast.software_lead, period=mon.y2026)
    assert not other.targets.exists()
    assert list(other.standards.all()) == [chains.teacher_standard]

    client = login(cast.teacher)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    for shown in (
        "课堂教学满意度达到优秀",
        "吴芳教师自我发展规划",
        "专任教师职业能力标准",
        "课堂教学满意度",
    ):
        assert shown in page
    _advance(client, cycle)
    _advance(client, cycle)
    assert cycle.stage == Stage.PLAN
    for expected in (Stage.IMPLEMENT, Stage.MONITOR):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected
    _reading(login, cast, chains.satisfaction, "teacher", mon.y2026, "96", capture)
    client = login(cast.teacher)
    _advance(client, cycle)
    assert cycle.stage == Stage.DIAGNOSE
    for expected in (Stage.INCENTIVE, Stage.LEARN, Stage.INNOVATE, Stage.IMPROVED):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected
    nxt = Cycle.objects.get(subject=teacher_subject, period=mon.y2027)
    assert list(nxt.targets.all()) == [chains.teaching]
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "96" in page and "下一周期" in page


def test_a_cycle_without_targets_in_force_shows_the_gap_and_stays(
    cast, mon, login, django_capture_on_commit_callbacks
):
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["major"]})
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    client = login(cast.software_lead)
    page = _advance(client, cycle).content.decode()
    assert cycle.stage == Stage.TARGET
    assert "没有关联现行目标" in page
    assert reverse("plans:index") in page
    assert _log(cycle) == []


def test_items_coming_in_force_later_are_linked_while_targets_are_set(
    cast, mon, chains, login, django_capture_on_commit_callbacks
):
    Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    cycle = Cycle.objects.get()
    assert not cycle.targets.exists()
    client = login(cast.software_lead)
    client.post(f"/monitoring/cycles/{cycle.pk}/link/")
    assert list(cycle.targets.all()) == [chains.employment]
    # Linking twice adds nothing.
    client.post(f"/monitoring/cycles/{cycle.pk}/link/")
    assert cycle.target_links.count() == 1
    # Outsiders cannot.
    response = login(cast.jd_leader).post(f"/monitoring/cycles/{cycle.pk}/link/")
    assert response.status_code in (403, 404)


def test_api_advance_answers_409_with_what_is_missing(cast, mon, login):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    client = login(cast.software_lead)
    response = client.post(f"/api/v1/monitoring/cycles/{cycle.pk}/advance/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "没有关联现行目标" in body["message"]
    assert body["allowed"] == ["standard"]


def test_api_gives_a_cycle_with_its_links(cast, mon, chains, login):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    plans_client = login(cast.software_lead)
    plans_client.post(f"/monitoring/cycles/{cycle.pk}/link/")
    body = plans_client.get(f"/api/v1/monitoring/cycles/{cycle.pk}/").json()
    assert [t["title"] for t in body["targets"]] == ["毕业生就业率"]
    assert body["targets"][0]["version"] == body["targets"][0]["version_in_force"] == 1
    assert [s["title"] for s in body["standards"]] == ["软件技术专业教学标准"]
    assert [t["title"] for t in body["tasks"]] == ["新增三家校企合作企业"]
    assert body["indicators"] == [{"code": "M03", "name": "就业率", "read": False}]
    assert body["gaps"] == [] and body["stage"] == "target"
    assert login(cast.jd_leader).get(f"/api/v1/monitoring/cycles/{cycle.pk}/").status_code == 404


def test_a_teacher_finds_their_own_spiral_on_the_home_page(
    cast, mon, chains, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        login(cast.quality_officer).post(
            f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["teacher"]}
        )
    cycle = Cycle.objects.get(subject__subject_user=cast.teacher)
    home = login(cast.teacher).get("/").content.decode()
    assert "我的诊改螺旋" in home
    assert f'href="/monitoring/cycles/{cycle.pk}/"' in home


def test_the_approved_self_diagnosis_report_meets_the_diagnosis_gate(cast, mon, chains, login):
    from tests.workflows.review.factories import forwarded_report
    from workflows.monitoring.stages import cycles_move

    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    for to in ("standard", "plan", "implement", "monitor", "diagnose"):
        cycles_move(Cycle.objects.filter(pk=cycle.pk), "advance", args=(to,))
    client = login(cast.software_lead)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert "本期尚无自我诊改报告" in page
    _advance(client, cycle)
    assert cycle.stage == Stage.DIAGNOSE
    report = forwarded_report(cast)
    page = client.get(f"/monitoring/cycles/{cycle.pk}/").content.decode()
    assert f"/review/reports/{report.pk}/" in page
    _advance(client, cycle)
    assert cycle.stage == Stage.INCENTIVE
