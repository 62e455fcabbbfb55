"""Readings: bad input, versions, approval rules, imports and the ingestion API."""

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import resolve
from openpyxl import Workbook

from accounts.models import AuditEntry
from engine.models import ImportRun
from workflows.monitoring import services
from workflows.monitoring.models import Reading, ReadingStatus, Warning

pytestmark = pytest.mark.django_db


def _submit(cast, mon, value, subject="default", period="default", indicator=None):
    return services.reading_submit(
        actor=cast.xx_member,
        indicator=indicator or mon.employment,
        subject=mon.rj if subject == "default" else subject,
        period=mon.y2026 if period == "default" else period,
        value=value,
    )


@pytest.mark.parametrize(
    ("value", "field", "text"),
    [
        ("abc", "value", "“abc”不是数字"),
        ("101", "value", "101 超过可能的最大值 100"),
        ("-1", "value", "-1 低于可能的最小值 0"),
        ("NaN", "value", "不是数字"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(cast, mon, value, field, text):
    with pytest.raises(ValidationError) as exc:
        _submit(cast, mon, value)
    assert text in " ".join(exc.value.message_dict[field])
    assert not Reading.objects.exists()


def test_unknown_subject_period_or_wrong_level(cast, mon):
    with pytest.raises(ValidationError) as exc:
        _submit(cast, mon, "90", subject=None, period=None)
    assert set(exc.value.message_dict) == {"subject", "period"}
    with pytest.raises(ValidationError) as exc:
        _submit(cast, mon, "90", subject=mon.student)
    assert "subject" in exc.value.message_dict


def test_the_form_shows_errors_and_keeps_input(cast, mon, login):
    client = login(cast.xx_member)
    response = client.post(
        "/monitoring/readings/new/",
        {
            "indicator": mon.employment.pk,
            "subject": "rj",
            "period": mon.y2026.pk,
            "value": "120%",
        },
    )
    assert response.status_code == 200
    assert "120" in response.content.decode()
    assert not Reading.objects.exists()


def test_a_correction_is_a_new_version_never_an_overwrite(cast, mon, approved):
    first = approved(mon.employment, mon.rj, "88")
    second = approved(mon.employment, mon.rj, "91.5")
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.value == Decimal("88") and first.status == ReadingStatus.SUPERSEDED
    assert not first.is_current and second.is_current


def test_approval_rules(cast, mon):
    reading, _ = _submit(cast, mon, "90")
    with pytest.raises(PermissionDenied):  # the entrant cannot approve their own entry
        services.reading_approve(actor=cast.xx_member, reading=reading)
    for outsider in (cast.jd_leader, cast.teacher, cast.committee_member):
        with pytest.raises(PermissionDenied):
            services.reading_approve(actor=outsider, reading=reading)
    services.reading_approve(actor=cast.xx_leader, reading=reading)
    with pytest.raises(ValidationError, match="已是"):
        services.reading_approve(actor=cast.xx_leader, reading=reading)
    # a named approver replaces the unit head
    mon.employment.approver = cast.quality_officer
    mon.employment.save()
    other, _ = _submit(cast, mon, "91")
    with pytest.raises(PermissionDenied):
        services.reading_approve(actor=cast.xx_leader, reading=other)
    services.reading_approve(actor=cast.quality_officer, reading=other)


def test_a_rejected_reading_never_counts(cast, mon):
    reading, _ = _submit(cast, mon, "50")
    with pytest.raises(ValidationError):
        services.reading_reject(actor=cast.xx_leader, reading=reading, reason=" ")
    services.reading_reject(actor=cast.xx_leader, reading=reading, reason="口径错误")
    reading.refresh_from_db()
    assert reading.status == ReadingStatus.REJECTED and not reading.is_current
    assert not Warning.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_give_one_approval(cast, mon):
    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    second = UserFactory(username="xx_leader2")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    reading, _ = _submit(cast, mon, "92")
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(user):
        try:
            barrier.wait()
            services.reading_approve(actor=user, reading=reading)
            outcomes.append("approved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (cast.xx_leader, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["approved", "refused"]
    reading.refresh_from_db()
    assert reading.status == ReadingStatus.APPROVED
    from accounts.models import AuditEntry

    assert AuditEntry.objects.filter(action="reading.approve").count() == 1


# --- imports -----------------------------------------------------------------------------------


def _csv(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["指标代码", "对象", "期间", "数值", "来源编号"])
    writer.writerows(rows)
    return SimpleUploadedFile("readings.csv", out.getvalue().encode("utf-8-sig"), "text/csv")


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["指标代码", "对象", "期间", "数值"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("readings.xlsx", out.getvalue())


MIXED = [
    ["M03", "rj", "2026", "88", "a1"],
    ["M03", "nope", "2026", "88", "a2"],  # unknown subject
    ["M03", "wl", "2099", "88", "a3"],  # unknown period
    ["M03", "wl", "2026", "120", "a4"],  # out of range
    ["M03", "jdyt", "2026", "很好", "a5"],  # not a number
    ["M03", "rj", "2026", "89", "a6"],  # duplicate of row 2
    ["X99", "rj", "2026", "1", "a7"],  # unknown indicator
    ["P01", "student", "2026", "97", "a8"],
]


def _run(response) -> ImportRun:
    """The import run the upload redirected to."""
    assert response.status_code == 302, response.content
    return ImportRun.objects.get(pk=resolve(response["Location"]).kwargs["pk"])


def test_import_with_bad_rows_writes_nothing_and_lists_every_error(cast, mon, login):
    client = login(cast.xx_member)
    response = client.post("/monitoring/readings/import/", {"file": _csv(MIXED)})
    run = _run(response)
    assert run.total == 8
    assert run.error_count == 6
    assert [e["row"] for e in run.errors] == [3, 4, 5, 6, 7, 8]
    messages = {e["row"]: e["message"] for e in run.errors}
    assert "nope" in messages[3] and "2099" in messages[4]
    assert "100" in messages[5] and "很好" in messages[6]
    assert "重复" in messages[7]
    assert run.result["rolled_back"] and run.created == 0
    assert not Reading.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "nope" in page and "未导入任何数据" in page
    assert AuditEntry.objects.get(action="reading.import").after["errors"] == 6


def test_import_keeps_good_rows_when_asked_and_is_idempotent(
    cast, mon, login, django_capture_on_commit_callbacks
):
    client = login(cast.xx_member)
    run = _run(
        client.post("/monitoring/readings/import/", {"file": _csv(MIXED), "keep_good_rows": "on"})
    )
    assert run.status == ImportRun.Status.DONE and run.created == 2
    assert Reading.objects.filter(status="pending").count() == 2
    again = _run(
        client.post("/monitoring/readings/import/", {"file": _csv(MIXED), "keep_good_rows": "on"})
    )
    assert again.created == 0 and again.unchanged == 2
    assert Reading.objects.count() == 2
    # the head approves the whole batch at once
    client = login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/batches/{run.result['source']}/approve/")
    assert Reading.objects.filter(is_current=True).count() == 2
    assert Warning.objects.filter(subject=mon.rj).exists()


def test_import_xlsx_and_corrections_become_versions(cast, mon, login):
    client = login(cast.xx_member)
    run = _run(
        client.post("/monitoring/readings/import/", {"file": _xlsx([["M03", "rj", "2026", 91]])})
    )
    assert run.created == 1 and run.error_count == 0
    client.post("/monitoring/readings/import/", {"file": _xlsx([["M03", "rj", "2026", 93]])})
    assert list(Reading.objects.order_by("version").values_list("version", "value")) == [
        (1, Decimal("91")),
        (2, Decimal("93")),
    ]


def test_large_import_runs_as_a_job(cast, mon, login, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    client = login(cast.xx_member)
    with django_capture_on_commit_callbacks(execute=True):
        run = _run(
            client.post(
                "/monitoring/readings/import/", {"file": _csv(MIXED), "keep_good_rows": "on"}
            )
        )
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE and run.created == 2 and run.error_count == 6


def test_import_refuses_a_file_without_the_columns(cast, mon, login):
    client = login(cast.xx_member)
    bad = SimpleUploadedFile("x.csv", "名称,值\n1,2\n".encode())
    response = client.post("/monitoring/readings/import/", {"file": bad})
    assert "指标代码" in response.content.decode()
    assert not Reading.objects.exists()


# --- API ---------------------------------------------------------------------------------------


def test_api_ingestion_is_idempotent_by_source_id(cast, mon, login):
    client = login(cast.xx_member)
    payload = {
        "source": "jwxt",
        "readings": [
            {
                "indicator": "M03",
                "subject": "rj",
                "period": "2026",
                "value": "88",
                "source_id": "1",
            },
            {
                "indicator": "P01",
                "subject": "student",
                "period": "2026",
                "value": "97",
                "source_id": "2",
            },
        ],
    }
    first = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert first.status_code == 200 and first.json()["created"] == 2
    second = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert second.json()["created"] == 0 and second.json()["existing"] == 2
    assert Reading.objects.count() == 2


def test_api_ingestion_reports_bad_rows_per_index(cast, mon, login):
    client = login(cast.xx_member)
    payload = {
        "source": "jwxt",
        "readings": [
            {
                "indicator": "M03",
                "subject": "rj",
                "period": "2026",
                "value": "88",
                "source_id": "1",
            },
            {"indicator": "M03", "subject": "rj", "period": "2026", "value": "x", "source_id": "2"},
            {"indicator": "ZZ", "subject": "rj", "period": "2026", "value": "1", "source_id": "3"},
        ],
    }
    response = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert [r["status"] for r in body["results"]] == ["not_written", "error", "error"]
    assert "value" in body["results"][1]["errors"]
    assert not Reading.objects.exists()
    payload["keep_good_rows"] = True
    response = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert response.status_code == 200 and response.json()["created"] == 1
    assert Reading.objects.count() == 1


def test_api_ingestion_needs_the_data_owner(cast, mon, login):
    client = login(cast.jd_leader)
    payload = {
        "source": "jwxt",
        "readings": [
            {"indicator": "M03", "subject": "rj", "period": "2026", "value": "88", "source_id": "1"}
        ],
    }
    response = client.post("/api/v1/monitoring/readings/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["results"][0]["status"] == "error"


def test_openapi_documents_the_monitoring_api(cast, login):
    client = login(cast.quality_officer)
    schema = client.get("/api/v1/schema/").content.decode()
    for path in (
        "/api/v1/monitoring/readings/",
        "/api/v1/monitoring/warnings/",
        "/api/v1/monitoring/improvements/",
        "/api/v1/monitoring/cycles/",
        "/api/v1/monitoring/indicators/",
    ):
        assert path in schema


def test_the_form_takes_a_subject_by_its_name_unless_two_share_it(cast, mon, login):
    """People know a major as 软件技术 and a teacher as 吴芳, not by code or staff number: the
    reading form takes the name too, and asks for the code or number where two share a name."""
    from accounts.models import Membership, Role
    from tests.factories import UserFactory
    from workflows.levels import Level

    from .factories import IndicatorFactory

    client = login(cast.xx_member)
    form = {"indicator": mon.employment.pk, "period": mon.y2026.pk, "value": "92"}
    page = client.get("/monitoring/readings/new/").content.decode()
    assert "单位名称或代码" in page
    response = client.post("/monitoring/readings/new/", {**form, "subject": "软件技术"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert Reading.objects.get().subject == mon.rj

    teaching = IndicatorFactory(
        code="T9", name="教学工作量", level=Level.TEACHER, data_owner_unit=cast.units.xx
    )
    teacher = services.subject_for_user(cast.teacher, Level.TEACHER)
    form = {**form, "indicator": teaching.pk}
    response = client.post("/monitoring/readings/new/", {**form, "subject": cast.teacher.full_name})
    assert response.status_code == 302
    assert Reading.objects.filter(subject=teacher).exists()
    namesake = UserFactory(username="wufang2", full_name=cast.teacher.full_name)
    with pytest.raises(ValidationError, match="没有教师身份"):  # the role's name, not its code
        services.subject_for_user(namesake, Level.TEACHER)
    Membership.objects.create(user=namesake, org_unit=cast.units.wl, role=Role.TEACHER)
    services.subject_for_user(namesake, Level.TEACHER)
    response = client.post("/monitoring/readings/new/", {**form, "subject": cast.teacher.full_name})
    assert response.status_code == 200
    assert f"找不到对象“{cast.teacher.full_name}”" in response.content.decode()
