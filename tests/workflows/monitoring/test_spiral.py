"""A whole spiral for 软件技术 through the URLs, as the people click it."""

import pytest

from workflows.monitoring.models import (
    Cycle,
    CycleEvidence,
    Improvement,
    ImprovementStatus,
    Reading,
    Stage,
    StageGate,
    Warning,
    WarningStatus,
)

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


def test_whole_spiral_for_a_major(cast, mon, login, client, django_capture_on_commit_callbacks):
    # The quality office opens the period for the major level (in the background).
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/monitoring/periods/{mon.y2026.pk}/open/", {"levels": ["major"]})
    assert response.status_code == 302
    cycle = Cycle.objects.get(subject=mon.rj, period=mon.y2026)
    assert cycle.stage == Stage.TARGET

    # The professional team runs the cycle; without evidence it cannot advance.
    client = login(cast.software_lead)
    page = _advance(client, cycle)
    assert cycle.stage == Stage.TARGET
    assert "目标已确定并报批" in page.content.decode()
    for expected in (Stage.STANDARD, Stage.PLAN, Stage.IMPLEMENT, Stage.MONITOR):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected
    # Monitoring's gate is data: no approved reading yet, so it says so.
    page = _advance(client, cycle)
    assert cycle.stage == Stage.MONITOR
    assert "本期已审核的监测数据" in page.content.decode()

    # The data owner enters a reading, the head approves it: it crosses the red line.
    client = login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {
            "indicator": mon.employment.pk,
            "subject": "rj",
            "period": mon.y2026.pk,
            "value": "80",
        },
    )
    reading = Reading.objects.get()
    client = login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/readings/{reading.pk}/approve/")
    warning = Warning.objects.get()
    assert warning.level == "red"
    cycle.refresh_from_db()
    assert cycle.stage == Stage.WARN

    # The team answers the warning with an improvement.
    client = login(cast.software_lead)
    response = client.post(
        f"/monitoring/warnings/{warning.pk}/improve/",
        {
            "title": "提高就业率",
            "cause_analysis": "校企合作岗位不足",
            "measures": "新增三家合作企业",
            "owner": cast.software_lead.pk,
            "deadline": "2027-03-31",
        },
    )
    improvement = Improvement.objects.get()
    assert response.url == f"/monitoring/improvements/{improvement.pk}/"
    warning.refresh_from_db()
    cycle.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    assert cycle.stage == Stage.IMPROVE

    # Closing without evidence is refused.
    client.post(f"/monitoring/improvements/{improvement.pk}/submit/", {"evidence": ""})
    improvement.refresh_from_db()
    assert improvement.status == ImprovementStatus.OPEN
    client.post(f"/monitoring/improvements/{improvement.pk}/submit/", {"evidence": "三份合作协议"})
    improvement.refresh_from_db()
    assert improvement.status == ImprovementStatus.SUBMITTED
    assert improvement.data_check == "no_data"

    # The next reading is still outside the band: the approver cannot call it effective.
    client = login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {
            "indicator": mon.employment.pk,
            "subject": "rj",
            "period": mon.y2026.pk,
            "value": "84",
        },
    )
    client = login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/readings/{Reading.objects.get(version=2).pk}/approve/")
    page = client.post(
        f"/monitoring/improvements/{improvement.pk}/sign-off/",
        {"effective": "1", "note": "成效明显"},
        follow=True,
    )
    improvement.refresh_from_db()
    assert improvement.status == ImprovementStatus.SUBMITTED
    assert "最新审核数据仍在预警区间" in page.content.decode()

    # A corrected reading comes back inside the band: the warning resolves by itself,
    # and the approver signs the effectiveness check off; the small loop goes back to 实施.
    client = login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {
            "indicator": mon.employment.pk,
            "subject": "rj",
            "period": mon.y2026.pk,
            "value": "93",
        },
    )
    client = login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/readings/{Reading.objects.get(version=3).pk}/approve/")
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    client.post(
        f"/monitoring/improvements/{improvement.pk}/sign-off/",
        {"effective": "1", "note": "就业率回升至93%"},
    )
    improvement.refresh_from_db()
    assert improvement.status == ImprovementStatus.CLOSED
    assert improvement.data_check == "inside"
    assert improvement.signed_off_by == cast.xx_leader
    cycle.refresh_from_db()
    assert cycle.stage == Stage.IMPLEMENT

    # Back through monitoring (data now exists) into the large loop, to the end.
    client = login(cast.software_lead)
    client.post(
        f"/monitoring/cycles/{cycle.pk}/texts/",
        {"target_text": "就业率95%", "standard_text": "专业建设标准"},
    )
    _evidence(client, cycle)
    _advance(client, cycle)
    assert cycle.stage == Stage.MONITOR
    _advance(client, cycle)
    assert cycle.stage == Stage.DIAGNOSE
    for expected in (Stage.INCENTIVE, Stage.LEARN, Stage.INNOVATE, Stage.IMPROVED):
        _evidence(client, cycle)
        _advance(client, cycle)
        assert cycle.stage == expected

    # The next cycle opens with the targets and standards carried over as drafts.
    nxt = Cycle.objects.get(subject=mon.rj, period=mon.y2027)
    assert nxt.previous == cycle
    assert nxt.carried_over
    assert (nxt.target_text, nxt.standard_text) == ("就业率95%", "专业建设标准")
    assert nxt.stage == Stage.TARGET

    page = client.get(f"/monitoring/cycles/{cycle.pk}/")
    assert page.status_code == 200
    assert 'class="node current"' in page.content.decode()
    assert CycleEvidence.objects.filter(cycle=cycle).count() == 9


def test_api_advance_answers_409_with_what_is_missing(cast, mon, login):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    client = login(cast.software_lead)
    response = client.post(f"/api/v1/monitoring/cycles/{cycle.pk}/advance/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "目标已确定并报批" in body["message"]
    assert body["allowed"] == ["standard"]
