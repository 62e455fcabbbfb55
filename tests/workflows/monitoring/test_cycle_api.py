"""The cycle API: its evidence listed to whoever sees the cycle, added (a document with a note)
by whoever runs it, refused with a JSON 400/403/404 otherwise."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from workflows.monitoring.models import Cycle, CycleEvidence, Stage, StageGate

pytestmark = pytest.mark.django_db


def _cycle_at_plan(cast, mon, chains, login):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level="major", responsible_unit=cast.units.rj
    )
    client = login(cast.software_lead)
    client.post(f"/monitoring/cycles/{cycle.pk}/link/")
    for _ in range(2):
        client.post(f"/monitoring/cycles/{cycle.pk}/advance/")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.PLAN
    return cycle, client


def test_evidence_is_uploaded_with_a_note_and_listed(cast, mon, chains, login):
    cycle, client = _cycle_at_plan(cast, mon, chains, login)
    gate = StageGate.objects.get(level="major", stage=Stage.PLAN)
    url = f"/api/v1/monitoring/cycles/{cycle.pk}/evidence/"
    upload = SimpleUploadedFile("方案.txt", "专业建设方案".encode(), content_type="text/plain")
    response = client.post(url, {"gate": gate.pk, "text": "年度实施方案", "file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "plan" and body["text"] == "年度实施方案"
    assert [f["name"] for f in body["files"]] == ["方案.txt"]
    assert client.get(body["files"][0]["url"]).status_code == 200
    listed = client.get(url).json()
    assert [e["id"] for e in listed] == [body["id"]]
    detail = client.get(f"/api/v1/monitoring/cycles/{cycle.pk}/").json()
    assert detail["evidence"] == listed and detail["missing"] == []
    # the chair sees the evidence but adds none
    chair = login(cast.chair)
    assert [e["id"] for e in chair.get(url).json()] == [body["id"]]
    assert chair.post(url, {"gate": gate.pk, "text": "x"}).status_code == 403
    # another department sees nothing of it
    assert login(cast.jd_leader).get(url).status_code == 404
    assert CycleEvidence.objects.count() == 1


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"text": "记录"}, "gate"),
        ({"gate": "plan", "text": "记录"}, "gate"),
        ({"gate": 0, "text": "记录"}, "gate"),
        ({"gate": "GATE", "text": ""}, "text"),
    ],
)
def test_bad_evidence_is_a_400_naming_the_field(cast, mon, chains, login, payload, field):
    cycle, client = _cycle_at_plan(cast, mon, chains, login)
    gate = StageGate.objects.get(level="major", stage=Stage.PLAN)
    data = {k: gate.pk if v == "GATE" else v for k, v in payload.items()}
    response = client.post(f"/api/v1/monitoring/cycles/{cycle.pk}/evidence/", data)
    assert response.status_code == 400
    assert field in str(response.json())
    assert not CycleEvidence.objects.exists()


def test_evidence_of_another_stage_or_from_data_is_refused(cast, mon, chains, login):
    cycle, client = _cycle_at_plan(cast, mon, chains, login)
    url = f"/api/v1/monitoring/cycles/{cycle.pk}/evidence/"
    later = StageGate.objects.get(level="major", stage=Stage.IMPLEMENT)
    assert client.post(url, {"gate": later.pk, "text": "记录"}).status_code == 400
    teacher_gate = StageGate.objects.filter(level="teacher", stage=Stage.PLAN).first()
    assert client.post(url, {"gate": teacher_gate.pk, "text": "记录"}).status_code == 400
    assert not CycleEvidence.objects.exists()
