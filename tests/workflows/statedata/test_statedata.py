"""State-data tables through import profiles: the quality office previews a table, confirms
it, and the readings go to their approver; bad files say what is wrong and write nothing."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from accounts.models import AuditEntry
from engine.models import ImportRun
from workflows.monitoring.models import Reading, ReadingStatus, Warning
from workflows.statedata.demo import SAMPLE
from workflows.statedata.models import Profile, Upload

from .conftest import HEADER, xlsx, zyzs

pytestmark = pytest.mark.django_db


def _sample():
    return SimpleUploadedFile(SAMPLE.name, SAMPLE.read_bytes())


def _upload(client, profile, file):
    return client.post(f"/statedata/profiles/{profile.pk}/upload/", {"file": file})


def test_a_table_imports_through_its_profile_through_the_pages(
    cast, sd, login, django_capture_on_commit_callbacks
):
    client = login(cast.quality_officer)
    page = client.get("/statedata/").content.decode()
    assert "专业招生与报到情况" in page and "学生综合素质测评" in page

    # preview: nothing written yet, the counts and the first readings shown
    response = _upload(client, sd.zyzs, _sample())
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response.url == f"/statedata/uploads/{upload.pk}/"
    page = client.get(response.url).content.decode()
    assert "27 条新数据" in page and "0 个单元格有错误" in page
    # the subject by its name, the table's code small beside it
    assert 'id="preview-sample"' in page
    assert '<td>软件技术 <small class="muted">rj</small></td><td>2026学年</td>' in page
    assert not Reading.objects.exists()

    # confirm: pending readings for 教务处's head, visible on the upload's page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/statedata/uploads/{upload.pk}/confirm/")
    assert response.status_code == 302
    readings = Reading.objects.filter(batch=f"statedata:{upload.pk}")
    assert readings.count() == 27
    assert set(readings.values_list("status", flat=True)) == {ReadingStatus.PENDING}
    rj = readings.get(indicator__code="M02", subject__subject_unit__code="rj")
    assert rj.value == Decimal("80") and rj.period == sd.year and rj.source == "statedata"
    page = client.get(response.url).content.decode()
    assert "已写入 27 条数据" in page and "报到率" in page
    upload.refresh_from_db()
    assert not upload.file  # the table is not kept once imported
    assert AuditEntry.objects.filter(action="statedata.import").exists()

    # the approver approves the batch; the low values raise their warnings
    approver = login(sd.head)
    assert f"statedata:{upload.pk}" in approver.get("/monitoring/approvals/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        approver.post(f"/monitoring/batches/statedata:{upload.pk}/approve/")
    assert readings.filter(status=ReadingStatus.APPROVED, is_current=True).count() == 27
    assert Warning.objects.filter(indicator__code="M02", subject__subject_unit__code="rj").exists()

    # the same table again: all unchanged, and confirming writes nothing
    client = login(cast.quality_officer)
    _upload(client, sd.zyzs, _sample())
    again = Upload.objects.latest("pk")
    assert "27 条未变" in client.get(f"/statedata/uploads/{again.pk}/").content.decode()
    client.post(f"/statedata/uploads/{again.pk}/confirm/")
    assert Reading.objects.count() == 27
    assert ImportRun.objects.get(pk=Upload.objects.get(pk=again.pk).import_run_id).created == 0


def test_a_changed_value_is_a_new_version(cast, sd, login):
    client = login(cast.quality_officer)
    _upload(client, sd.zyzs, zyzs([["rj", "", "2026-2027", "", "80", ""]]))
    client.post(f"/statedata/uploads/{Upload.objects.get().pk}/confirm/")
    _upload(client, sd.zyzs, zyzs([["rj", "", "2026学年", "", "0.85", ""]], name="b.xlsx"))
    latest = Upload.objects.latest("pk")
    page = client.get(f"/statedata/uploads/{latest.pk}/").content.decode()
    assert "0 条新数据，1 条有变化" in page
    client.post(f"/statedata/uploads/{latest.pk}/confirm/")
    values = list(
        Reading.objects.filter(indicator=sd.m02).order_by("version").values_list("value", flat=True)
    )
    assert values == [Decimal("80"), Decimal("0.85")]


def test_value_mappings_and_person_keys(cast, sd, login, django_capture_on_commit_callbacks):
    cast.student.staff_no = "2026010101"
    cast.student.save()
    client = login(cast.quality_officer)
    table = xlsx(
        [
            ["学号", "姓名", "学期", "综合素质测评等级"],
            ["2026010101", "郑小明", "2026-2027-1", "良好"],
        ]
    )
    _upload(client, sd.xszp, table)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/statedata/uploads/{Upload.objects.get().pk}/confirm/")
    reading = Reading.objects.get()
    assert (reading.subject, reading.period, reading.value) == (sd.student, sd.term, Decimal(85))


def test_a_csv_export_with_yes_no_cells(cast, sd, login, django_capture_on_commit_callbacks):
    cast.student.staff_no = "2026010101"
    cast.student.save()
    profile = Profile.objects.get(code="dgsx")
    text = "学号,姓名,学年,实习岗位是否对口\r\n2026010101,郑小明,2026-2027学年,是\r\n"
    client = login(cast.quality_officer)
    _upload(client, profile, SimpleUploadedFile("dgsx.csv", text.encode("utf-8-sig")))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/statedata/uploads/{Upload.objects.get().pk}/confirm/")
    reading = Reading.objects.get()
    assert (reading.indicator.code, reading.period, reading.value) == ("P03", sd.year, 100)


def test_bad_cells_are_named_by_the_sheets_own_headers_and_nothing_is_half_written(cast, sd, login):
    client = login(cast.quality_officer)
    table = zyzs(
        [
            ["rj", "软件技术", "2026-2027", "98", "90", "10"],
            ["xyz", "不存在", "2026-2027", "98", "90", "10"],
            ["wl", "计算机网络技术", "2026-2027", "98", "120", "10"],
            ["jdyt", "机电一体化技术", "2030-2031", "98", "90", "10"],
            ["dsj", "大数据技术", "2026-2027", "98", "很好", "10"],
        ]
    )
    _upload(client, sd.zyzs, table)
    upload = Upload.objects.get()
    page = client.get(f"/statedata/uploads/{upload.pk}/").content.decode()
    errors = {(e["row"], e["column"]): e["message"] for e in upload.preview_run.errors}
    assert errors == {
        (4, "专业代码"): "没有专业代码为“xyz”的对象（监测中没有这个对象）。",
        (5, "报到率（%）"): "120 超过可能的最大值 100。",
        (6, "学年"): "未知期间“2030-2031”。",
        (7, "报到率（%）"): "“很好”不是数字。",
    }
    for message in errors.values():
        assert message in page

    # confirming without saying to skip them is refused: nothing written
    response = client.post(f"/statedata/uploads/{upload.pk}/confirm/", follow=True)
    assert "预览发现 4 个单元格有错误" in response.content.decode()
    assert not Reading.objects.exists()

    # keeping the good rows writes exactly the good cells
    client.post(f"/statedata/uploads/{upload.pk}/confirm/", {"keep_good_rows": "on"})
    assert Reading.objects.count() == 3 + 2 + 2  # rj, wl without 报到率, dsj without 报到率


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            lambda: zyzs([["rj", "", "2026", "1", "2", "3"]], name="t.pdf"),
            "请上传 .xlsx / .csv 格式的文件",
        ),
        (
            lambda: xlsx([["专业代码", "学年", "报到率"], ["rj", "2026", "90"]]),
            "第 2 行缺少方案“专业招生与报到情况”读取的列",
        ),
        (
            lambda: xlsx([["标题"]]),
            "第 2 行为空",
        ),
        (lambda: SimpleUploadedFile("t.xlsx", b"not a workbook"), "不是有效的 .xlsx"),
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_message(cast, sd, login, table, message):
    client = login(cast.quality_officer)
    response = _upload(client, sd.zyzs, table())
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Upload.objects.exists() and not ImportRun.objects.exists()


def test_a_wrong_sheet_names_the_sheets_there(cast, sd, login):
    sd.zyzs.sheet_name = "招生"
    sd.zyzs.save()
    client = login(cast.quality_officer)
    response = _upload(client, sd.zyzs, zyzs([], title="就业"))
    assert "工作簿中没有名为“招生”的工作表（现有：就业）" in response.content.decode()


def test_a_sheet_formatted_to_its_last_row_is_refused_before_reading(cast, sd, login):
    wb = Workbook()
    wb.active.append(["专业招生与报到情况"])
    wb.active.append(HEADER)
    wb.active["A1048576"].number_format = "0.00"  # formatting only: the used range is the sheet
    buffer = io.BytesIO()
    wb.save(buffer)
    client = login(cast.quality_officer)
    response = _upload(client, sd.zyzs, SimpleUploadedFile("f.xlsx", buffer.getvalue()))
    assert "1,048,576" in response.content.decode()
    assert not Upload.objects.exists()


def test_a_million_blank_rows_stop_the_preview_with_a_message(
    cast, sd, login, settings, django_capture_on_commit_callbacks
):
    """No declared size (a script's workbook): the background preview stops at the cap."""
    settings.IMPORT_MAX_BLANK_ROWS = 1000
    table = xlsx([["专业招生与报到情况"], HEADER, *([[]] * 20_000)], write_only=True, title="Sheet")
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, sd.zyzs, table)
    upload = Upload.objects.get()
    # the size is unknown until read: the preview runs in the background, behind its progress
    assert response.url == f"/imports/{upload.preview_run_id}/"
    assert upload.preview_run.status == ImportRun.Status.FAILED
    assert "空白行" in upload.preview_run.message
    page = client.get(f"/statedata/uploads/{upload.pk}/").content.decode()
    assert "空白行" in page and 'id="confirm"' not in page
    assert not Reading.objects.exists()


def test_profiles_are_edited_in_the_ui(cast, sd, login):
    client = login(cast.quality_officer)
    m02 = sd.m02
    data = {
        "code": "zs2",
        "name": "表 招生情况",
        "header_row": "1",
        "subject_key": "major",
        "subject_column": "专业代码",
        "subject_map": "510203=rj",
        "period_column": "",
        "period": str(sd.year.pk),
        "is_active": "on",
        "columns-TOTAL_FORMS": "2",
        "columns-INITIAL_FORMS": "0",
        "columns-0-header": "报到率",
        "columns-0-indicator": str(m02.pk),
        "columns-0-value_map": "",
        "columns-0-scale": "100",
        "columns-1-header": "",
        "columns-1-scale": "1",
    }
    response = client.post("/statedata/profiles/new/", data)
    assert response.status_code == 302, response.content.decode()
    profile = Profile.objects.get(code="zs2")
    assert profile.subject_map == {"510203": "rj"}
    assert [(c.header, c.scale) for c in profile.columns.all()] == [("报到率", Decimal(100))]
    # a national major code mapped to the college's, a fraction scaled to a percentage
    _upload(client, profile, xlsx([["专业代码", "报到率"], ["510203", "0.9"]]))
    client.post(f"/statedata/uploads/{Upload.objects.get().pk}/confirm/")
    reading = Reading.objects.get()
    assert reading.subject.subject_unit.code == "rj" and reading.value == Decimal(90)

    # a student-level indicator cannot be read by a major code
    bad = {**data, "code": "zs3", "columns-0-indicator": str(sd.xszp.columns.get().indicator_id)}
    page = client.post("/statedata/profiles/new/", bad).content.decode()
    assert "专业代码不能指向这一层面的对象" in page
    # editing raises the version: a preview made before is not confirmed
    upload = Upload.objects.get()
    assert upload.profile_version == 1
    client.post(f"/statedata/profiles/{profile.pk}/edit/", {**data, "name": "表 招生"})
    profile.refresh_from_db()
    assert profile.version == 2 and profile.name == "表 招生"


def test_only_the_quality_office_manages_profiles(cast, sd, login):
    for user in (cast.teacher, cast.student, cast.xx_leader):
        client = login(user)
        assert client.get("/statedata/").status_code == 403
        assert client.get(f"/statedata/profiles/{sd.zyzs.pk}/edit/").status_code == 403
    client = login(cast.teacher)
    assert _upload(client, sd.zyzs, _sample()).status_code == 403
    assert not Upload.objects.exists()


def test_the_shipped_profiles_load_once(cast, sd):
    before = Profile.objects.count()
    out = io.StringIO()
    call_command("statedata_profiles", stdout=out)
    assert Profile.objects.count() == before == 7 and "0 new" in out.getvalue()


def test_a_repeated_row_is_an_error_within_a_chunk_and_across_chunks(cast, sd, login, monkeypatch):
    """The rows above are remembered by the database (bounded memory), chunk after chunk."""
    from workflows.statedata import imports

    monkeypatch.setattr(imports, "CHUNK", 2)
    client = login(cast.quality_officer)
    rj = ["rj", "软件技术", "2026-2027", "98", "90", "10"]
    wl = ["wl", "计算机网络技术", "2026-2027", "97", "91", "11"]
    # rows 3-4 one chunk, 5-6 the next: row 4 repeats row 3 in its chunk, row 6 row 3 across
    _upload(client, sd.zyzs, zyzs([rj, rj, wl, rj]))
    upload = Upload.objects.get()
    errors = {(e["row"], e["column"]) for e in upload.preview_run.errors}
    assert errors == {(row, h) for row in (4, 6) for h in HEADER[3:]}
    assert "已给出" in client.get(f"/statedata/uploads/{upload.pk}/").content.decode()
    client.post(f"/statedata/uploads/{upload.pk}/confirm/", {"keep_good_rows": "on"})
    assert Reading.objects.count() == 6
