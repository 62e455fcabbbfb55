"""Importing the task-decomposition table in the layout of seed 001 附件1."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import AuditEntry
from engine.models import ImportRun
from workflows.plans.models import PendingImport, PlanKind, Task

from .factories import draft_plan, in_force_plan

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Rows as in seed 001 附件1 (category merged over its rows), with the unit names of the cast's
# college where they exist and the seed's own names where they do not (党委组织部, 人事处).
SEED_ROWS = [
    (
        "健全\n组织",
        "学校成立质量控制与绩效考核办公室",
        "学校印发文件，明确质量管理办公室职责，人员配备到位。",
        "党委组织部",
        "人事处",
        "2026年6月",
    ),
    (
        None,
        "学校成立学校质量保证委员会",
        "学校印发文件，明确学校质量保证委员会成员及职责。",
        "党委组织部",
        "教务处",
        "2026年6月",
    ),
    (
        None,
        "二级教学单位成立质量保证工作组，专业（课程）教研室成立质量保证工作小组",
        "二级教学单位印发文件，明确本单位质量保证工作组的成员及职责。",
        "质量管理办公室",
        "各部门\n二级单位",
        "2026-09-30",
    ),
    (
        "明确\n目标",
        "各专业“十五五”发展目标",
        "明确各专业 “十五五”发展目标。",
        "教务处",
        "二级单位",
        "2026年12月",
    ),
    (None, "课程“十五五”发展目标", '=HYPERLINK("http://x")', "教务处", "二级单位", "2026年12月"),
    (None, "教师个人“十五五”发展目标", None, "人事处", "二级单位", "2026年12月"),
    (
        "建立\n标准",
        "校级基本标准",
        "新专业设置标准、合格专业标准等标准文本",
        "教务处",
        "各部门\n二级单位",
        "明年",
    ),
    (None, None, "新开课程标准、合格课程标准等标准文本", "教务处", "各部门\n二级单位", "2040年1月"),
    (
        None,
        "专业建设与发展标准",
        "各专业依据学校专业建设基本标准，自行制定本专业建设与发展标准。",
        "教务处（科研处）",
        "信息工程系、机电工程系",
        "",
    ),
]


def seed_workbook(rows=SEED_ROWS, header=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["阿克苏职业技术学院内部质量保证体系建设与运行任务分解及具体进度安排表"])
    ws.merge_cells("A1:G1")
    ws.append(
        header or ["类别", "建设任务", "成果形式", "牵头\n部门", "协助\n部门", "完成时限", "备注"]
    )
    for row in rows:
        ws.append([*row, ""])
    # Category cells merged down their runs, as in the seed; 建设任务 merged for 校级基本标准.
    ws.merge_cells("A3:A5")
    ws.merge_cells("A6:A8")
    ws.merge_cells("A9:A11")
    ws.merge_cells("B9:B10")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(data, name="附件1.xlsx"):
    return SimpleUploadedFile(name, data, content_type=XLSX)


@pytest.fixture
def annual_plan(cast):
    root = in_force_plan(cast)
    return draft_plan(
        cast, title="2026年度工作计划", kind=PlanKind.ANNUAL, parent=root, start=2026, end=2026
    )


def test_preview_lists_bad_rows_and_unmatched_names_and_saves_nothing(cast, login, annual_plan):
    client = login(cast.quality_officer)
    response = client.post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    pending = PendingImport.objects.get()
    assert response.url == reverse("plans:import_preview", args=[pending.pk])
    assert not Task.objects.exists()

    bad = {b["row"]: " ".join(b["problems"]) for b in pending.bad_rows}
    assert set(bad) == {7, 8, 9, 10}
    assert "formula" in bad[7] or "公式" in bad[7]
    assert "成果形式（C8）为空" in bad[8] and "deliverable" not in bad[8]
    assert "明年" in bad[9]
    assert "2040" in bad[10]
    assert {u["name"] for u in pending.unmatched} == {"党委组织部", "人事处"}

    rows = {r["title"]: r for r in pending.rows}
    assert len(rows) == 5
    third = rows["二级教学单位成立质量保证工作组，专业（课程）教研室成立质量保证工作小组"]
    assert third["category"] == "健全组织" and third["lead_unit_id"] == cast.units.zgb.pk
    # "各部门\n二级单位" stands for every office and every department.
    assert cast.units.xx.pk in third["assist_ids"] and cast.units.jwc.pk in third["assist_ids"]
    assert rows["学校成立学校质量保证委员会"]["deadline"] == "2026-06-30"
    assert rows["专业建设与发展标准"]["lead_unit_id"] == cast.units.jwc.pk
    page = client.get(response.url).content.decode()
    assert "党委组织部" in page and "明年" in page


def _map(client, pending, mapping):
    """Post the preview's mapping form: name → unit (or "group:…", or a username for a person)."""
    data = {}
    for i, entry in enumerate(pending.unmatched):
        if entry["name"] in mapping:
            target = mapping[entry["name"]]
            data[f"names-n{i}"] = str(getattr(target, "pk", target))
    return client.post(reverse("plans:import_map_names", args=[pending.pk]), data)


def _names(cast):
    # The seed's own names for two offices the cast's college calls otherwise.
    return {"党委组织部": cast.units.jw, "人事处": cast.units.xxzx}


def test_confirm_saves_exactly_the_preview_and_reimport_updates(cast, login, annual_plan):
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert Task.objects.count() == 5
    assert not Task.objects.filter(lead_unit__isnull=True).exists()
    task = Task.objects.get(title="学校成立质量控制与绩效考核办公室")
    assert task.lead_unit == cast.units.jw and task.lead_unit_name == "党委组织部"

    # Confirming twice saves nothing more.
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert Task.objects.count() == 5

    changed = [list(r) for r in SEED_ROWS]
    changed[0][3] = "质量管理办公室"
    changed[3][5] = "2026年11月"
    changed[8][4] = "机电工程系"
    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(seed_workbook([tuple(r) for r in changed]))},
    )
    second = PendingImport.objects.latest("pk")
    # The names mapped last time are remembered.
    assert second.unmatched == []
    preview = client.get(reverse("plans:import_preview", args=[second.pk]))
    assert preview.context["counts"] == {"created": 0, "updated": 3, "unchanged": 2, "skipped": 4}
    response = client.post(reverse("plans:import_preview", args=[second.pk]), follow=True)
    assert Task.objects.count() == 5
    assert response.status_code == 200
    summary = AuditEntry.objects.filter(action="task.import").order_by("-pk").first().after
    # What the preview said is what the confirm did.
    assert {k: summary[k] for k in preview.context["counts"]} == preview.context["counts"]
    assisted = Task.objects.get(title="专业建设与发展标准").assisting_units.all()
    assert list(assisted) == [cast.units.jd]
    untouched = Task.objects.get(title="学校成立学校质量保证委员会").assisting_units.all()
    assert list(untouched) == [cast.units.jwc]
    task = Task.objects.get(pk=task.pk)
    assert task.lead_unit == cast.units.zgb
    assert str(Task.objects.get(title="各专业“十五五”发展目标").deadline) == "2026-11-30"


def test_a_reimport_of_the_same_file_previews_and_confirms_every_row_unchanged(
    cast, login, annual_plan
):
    client = login(cast.quality_officer)
    _import(client, annual_plan, SEED_ROWS, mapping=_names(cast))
    pending = _import(client, annual_plan, SEED_ROWS, mapping={}, confirm=False)
    page = client.get(reverse("plans:import_preview", args=[pending.pk]))
    assert page.context["counts"]["unchanged"] == 5
    assert page.context["counts"]["updated"] == 0
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    summary = AuditEntry.objects.filter(action="task.import").order_by("-pk").first().after
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 5)


LEAD_ROWS = [
    ("健全组织", "无牵头部门的任务", "文件", None, "教务处", "2026年6月"),
    ("健全组织", "牵头部门不存在的任务", "文件", "宣传部", "教务处", "2026年6月"),
    ("健全组织", "牵头为一组单位的任务", "文件", "二级单位", "教务处", "2026年6月"),
    ("健全组织", "正常任务", "文件", "教务处", "各教学单位", "2026年6月"),
]


def _plain_workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["类别", "建设任务", "成果形式", "牵头部门", "协助部门", "完成时限"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_task_is_never_saved_without_a_lead_unit(cast, login, annual_plan):
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(_plain_workbook(LEAD_ROWS))},
    )
    pending = PendingImport.objects.get()
    page = client.get(reverse("plans:import_preview", args=[pending.pk]))
    bad = {b["row"]: " ".join(b["problems"]) for b in page.context["bad_rows"]}
    # Reasons name the sheet's own column and the cell, never an internal field name.
    assert bad[2] == "牵头部门（D2）为空"
    assert "牵头部门（D4）" in bad[4] and "二级单位" in bad[4] and "一个单位" in bad[4]
    assert set(bad) == {2, 4}
    assert {(u["name"], u["lead"]) for u in pending.unmatched} == {
        ("宣传部", True),
        ("各教学单位", False),
    }
    html = page.content.decode()
    assert 'id="unmatched"' in html and 'type="submit" disabled' in html

    # Confirm is refused while a name is unmapped.
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert not Task.objects.exists()
    pending.refresh_from_db()
    assert pending.confirmed_at is None

    # A name that leads a task cannot stand for a group.
    response = _map(client, pending, {"宣传部": "group:departments"})
    assert response.status_code == 200
    pending.refresh_from_db()
    assert {u["name"] for u in pending.unmatched} == {"宣传部", "各教学单位"}

    _map(client, pending, {"宣传部": cast.units.jwc, "各教学单位": "group:departments"})
    pending.refresh_from_db()
    assert pending.unmatched == []
    page = client.get(reverse("plans:import_preview", args=[pending.pk]))
    assert page.context["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 2}
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert Task.objects.count() == 2
    assert not Task.objects.filter(lead_unit__isnull=True).exists()
    normal = Task.objects.get(title="正常任务")
    assert set(normal.assisting_units.all()) == {cast.units.xx, cast.units.jd}
    aliases = AuditEntry.objects.filter(action="unit_alias.create").count()
    assert aliases == 2

    # The mapping is remembered: the next import matches both names at once.
    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(_plain_workbook(LEAD_ROWS))},
    )
    assert PendingImport.objects.latest("pk").unmatched == []


def test_an_unknown_responsible_person_is_mapped_or_explicitly_left_out(cast, login, annual_plan):
    wb = Workbook()
    ws = wb.active
    ws.append(["类别", "建设任务", "成果形式", "牵头部门", "协助部门", "完成时限", "责任人"])
    ws.append(["健全组织", "任务甲", "文件", "教务处", "", "2026年6月", "张三"])
    ws.append(["健全组织", "任务乙", "文件", "教务处", "", "2026年6月", "李四"])
    out = io.BytesIO()
    wb.save(out)
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(out.getvalue())},
    )
    pending = PendingImport.objects.get()
    assert [(u["name"], u["kind"]) for u in pending.unmatched] == [
        ("张三", "person"),
        ("李四", "person"),
    ]
    index = {u["name"]: i for i, u in enumerate(pending.unmatched)}
    response = client.post(
        reverse("plans:import_map_names", args=[pending.pk]),
        {f"names-n{index['张三']}": "nobody-here"},
    )
    assert "No active person" in response.content.decode() or "没有" in response.content.decode()
    client.post(
        reverse("plans:import_map_names", args=[pending.pk]),
        {f"names-n{index['张三']}": "teacher", f"names-n{index['李四']}_none": "on"},
    )
    pending.refresh_from_db()
    assert pending.unmatched == []
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert Task.objects.get(title="任务甲").person == cast.teacher
    assert Task.objects.get(title="任务乙").person is None


def test_someone_elses_preview_cannot_be_confirmed(cast, login, annual_plan):
    login(cast.quality_officer).post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    pending = PendingImport.objects.get()
    response = login(cast.xx_leader).post(reverse("plans:import_preview", args=[pending.pk]))
    assert response.status_code == 404
    assert not Task.objects.exists()


def test_wrong_columns_are_a_clear_error(cast, login, annual_plan):
    data = seed_workbook(header=["序号", "任务", "成果", "部门", "协助", "时间", "备注"])
    response = login(cast.quality_officer).post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(data)}
    )
    assert response.status_code == 200
    assert "牵头部门" in str(response.context["form"].errors["file"])
    assert not PendingImport.objects.exists()


def test_a_file_that_is_not_a_workbook_is_a_clear_error(cast, login, annual_plan):
    response = login(cast.quality_officer).post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(b"not a zip")}
    )
    assert response.status_code == 200 and response.context["form"].errors["file"]
    assert not PendingImport.objects.exists()


def _import(client, plan, rows, mapping=None, confirm=True, **post):
    client.post(
        reverse("plans:import_upload"),
        {"plan": plan.pk, "file": _upload(seed_workbook([tuple(r) for r in rows]))},
    )
    pending = PendingImport.objects.latest("pk")
    if mapping:
        _map(client, pending, mapping)
    if confirm:
        client.post(reverse("plans:import_preview", args=[pending.pk]), post)
    return pending


def _deadlines():
    from engine.models import Deadline

    return {
        int(d.object_id): d
        for d in Deadline.objects.filter(kind="plan.task", status=Deadline.Status.OPEN)
    }


def test_confirm_starts_the_deadlines_and_a_reimport_moves_only_the_changed_ones(
    cast, login, annual_plan
):
    client = login(cast.quality_officer)
    _import(client, annual_plan, SEED_ROWS, mapping=_names(cast))
    led = Task.objects.filter(deadline__isnull=False)
    started = _deadlines()
    # Every task with a deadline is on the engine's ladder (every task has a lead unit).
    assert set(started) == set(led.values_list("pk", flat=True)) and len(started) == 4
    moved = Task.objects.get(title="各专业“十五五”发展目标")
    kept = Task.objects.get(lead_unit=cast.units.zgb)
    assert started[moved.pk].due_at.date().isoformat() == "2026-12-31"
    assert started[kept.pk].owner_unit == kept.lead_unit

    changed = [list(r) for r in SEED_ROWS]
    changed[3][5] = "2026年11月"  # the deadline moves
    changed[2][4] = "教务处、信息中心"  # only the assisting units change
    _import(client, annual_plan, changed)
    after = _deadlines()
    assert after[moved.pk].due_at.date().isoformat() == "2026-11-30"
    assert after[kept.pk].pk == started[kept.pk].pk
    assert after[kept.pk].started_at == started[kept.pk].started_at  # not restarted


def test_reimport_lists_tasks_not_in_the_file_and_retires_them_only_when_ticked(
    cast, login, annual_plan
):
    client = login(cast.quality_officer)
    _import(client, annual_plan, SEED_ROWS, mapping=_names(cast))
    gone = Task.objects.get(title="各专业“十五五”发展目标")
    assert gone.pk in _deadlines()
    # The row is renamed (the merged layout keeps its place): the old task is not in the file.
    shorter = [list(r) for r in SEED_ROWS]
    shorter[3][1] = "各专业“十五五”发展目标（修订）"

    pending = _import(client, annual_plan, shorter)
    assert [m["title"] for m in pending.missing] == ["各专业“十五五”发展目标"]
    page = client.get(reverse("plans:import_preview", args=[pending.pk])).content.decode()
    assert 'id="missing"' in page and "retire_missing" not in page  # confirmed: no form
    gone.refresh_from_db()
    assert gone.state == "open" and gone.pk in _deadlines()  # left untouched

    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(seed_workbook([tuple(r) for r in shorter]))},
    )
    pending = PendingImport.objects.latest("pk")
    page = client.get(reverse("plans:import_preview", args=[pending.pk])).content.decode()
    assert "各专业“十五五”发展目标" in page and 'name="retire_missing"' in page
    client.post(reverse("plans:import_preview", args=[pending.pk]), {"retire_missing": "1"})
    gone.refresh_from_db()
    assert gone.state == "retired" and gone.pk not in _deadlines()
    summary = AuditEntry.objects.filter(action="task.import").order_by("-pk").first().after
    assert summary["retired"] == 1
    assert Task.objects.exclude(state="retired").count() == 5
    # A retired task is not listed again.
    client.post(
        reverse("plans:import_upload"),
        {"plan": annual_plan.pk, "file": _upload(seed_workbook([tuple(r) for r in shorter]))},
    )
    assert PendingImport.objects.latest("pk").missing == []


def test_confirm_is_recorded_as_an_import_run_with_the_bad_rows(cast, login, annual_plan):
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))
    client.post(reverse("plans:import_preview", args=[pending.pk]))
    run = ImportRun.objects.get(kind="plans")
    assert (run.status, run.actor, run.file_name) == ("done", cast.quality_officer, "附件1.xlsx")
    assert (run.total, run.created, run.updated, run.error_count) == (9, 5, 0, 4)
    assert [e["row"] for e in run.errors] == [7, 8, 9, 10]
    assert AuditEntry.objects.get(action="task.import.run").object_id == str(run.pk)
    page = client.get(reverse("engine:import_run", args=[run.pk])).content.decode()
    assert "任务分解表" in page and "明年" in page


def test_a_sheet_of_blank_rows_is_refused_fast_without_loading_it(
    cast, login, annual_plan, settings
):
    """The 147 KB file of a million blank rows cost 40 s and ~670 MB; now the reading stops at
    the blank-row cap (a smaller cap and file here, the same path)."""
    settings.IMPORT_MAX_BLANK_ROWS = 2000
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["类别", "建设任务", "成果形式", "牵头部门", "协助部门"])
    for _i in range(20_000):
        ws.append([])
    out = io.BytesIO()
    wb.save(out)
    response = login(cast.quality_officer).post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(out.getvalue())}
    )
    assert response.status_code == 200
    assert "空白行" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_task_list_of_a_plan_in_force_changes_when_the_committee_approves(cast, login, annual_plan):
    from workflows.plans import services
    from workflows.plans.models import ChangeRequest, ItemState

    from .factories import approve

    plan = approve(cast, annual_plan)
    assert plan.state == ItemState.IN_FORCE
    client = login(cast.quality_officer)
    client.post(reverse("plans:import_upload"), {"plan": plan.pk, "file": _upload(seed_workbook())})
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))
    url = reverse("plans:import_preview", args=[pending.pk])
    page = client.get(url).content.decode()
    assert 'id="tasks-in-force"' in page and 'name="reason"' in page
    # Confirming directly is not offered; the table goes to the committee with a reason.
    response = client.post(url, {"reason": "新增年度任务"})
    change = ChangeRequest.objects.get()
    assert response.url == change.get_absolute_url()
    assert change.kind == "tasks" and not Task.objects.exists()
    rows = {r["field"]: r for r in services.change_rows(change)}
    assert "学校成立学校质量保证委员会" in rows["新增任务"]["after"]
    for member in (cast.chair, cast.committee_member):  # the default majority: both of two
        login(member).post(reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"})
    assert Task.objects.filter(plan=plan).count() == 5
    assert PendingImport.objects.get().confirmed_at is not None
    # the approved import ends with its record too: who asked, the counts, the skipped rows
    run = ImportRun.objects.get(kind="plans")
    assert (run.actor, run.status, run.created) == (cast.quality_officer, "done", 5)
    assert run.options["approved_by"] == cast.committee_member.pk
    assert [e["row"] for e in run.errors] == [7, 8, 9, 10]


# --- the engine's import mechanism: inline when small, a job when large, always recorded ----


def test_a_small_preview_runs_in_the_request_and_is_recorded(cast, login, annual_plan):
    response = login(cast.quality_officer).post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    run = ImportRun.objects.get(kind="plans.preview")
    pending = PendingImport.objects.get()
    assert response.url == reverse("plans:import_preview", args=[pending.pk])
    assert (run.status, run.total, run.result) == ("done", 9, {"pending": pending.pk})
    assert [e["row"] for e in run.errors] == [7, 8, 9, 10]
    entry = AuditEntry.objects.get(action="task.import.preview")
    assert entry.object_id == str(run.pk) and entry.after["status"] == "done"
    assert not run.file  # the rows live on in the preview; the uploaded file is not kept


def test_a_large_file_previews_and_confirms_as_jobs_with_progress_pages(
    cast, login, annual_plan, settings, celery_in_process, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("plans:import_upload"),
            {"plan": annual_plan.pk, "file": _upload(seed_workbook())},
        )
    preview_run = ImportRun.objects.get(kind="plans.preview")
    assert response.url == reverse("engine:import_run", args=[preview_run.pk])
    assert not Task.objects.exists()
    preview_run.refresh_from_db()
    assert preview_run.status == "done"
    pending = PendingImport.objects.get()
    page = client.get(response.url).content.decode()
    assert reverse("plans:import_preview", args=[pending.pk]) in page  # 继续 → the preview
    _map(client, pending, _names(cast))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("plans:import_preview", args=[pending.pk]))
    run = ImportRun.objects.get(kind="plans")
    assert response.url == reverse("engine:import_run", args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.created, run.error_count) == ("done", 5, 4)
    assert Task.objects.count() == 5
    assert AuditEntry.objects.get(action="task.import.run").after["status"] == "done"
    assert client.get(reverse("engine:import_progress", args=[run.pk])).json()["percent"] == 100


def test_a_confirm_that_fails_part_way_writes_nothing_says_so_and_runs_again(
    cast,
    login,
    annual_plan,
    settings,
    monkeypatch,
    celery_in_process,
    django_capture_on_commit_callbacks,
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("plans:import_upload"),
            {"plan": annual_plan.pk, "file": _upload(seed_workbook())},
        )
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    # After the tasks are written, before their deadlines: a half-way point.
    monkeypatch.setattr("workflows.plans.imports.tasks_deadline_sync", broken)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("plans:import_preview", args=[pending.pk]))
    run = ImportRun.objects.get(kind="plans")
    assert run.status == "failed" and "RuntimeError" in run.message
    assert (run.created, run.updated) == (0, 0)
    assert not Task.objects.exists()
    assert PendingImport.objects.get().confirmed_at is None
    assert AuditEntry.objects.get(action="task.import.run").after["status"] == "failed"
    page = client.get(reverse("engine:import_run", args=[run.pk])).content.decode()
    assert "RuntimeError" in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("engine:import_retry", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.created) == ("done", 5)
    assert Task.objects.count() == 5
    # A done run is not run again, and the same file once more changes nothing.
    client.post(reverse("engine:import_retry", args=[run.pk]))
    assert Task.objects.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("plans:import_upload"),
            {"plan": annual_plan.pk, "file": _upload(seed_workbook())},
        )
    again = PendingImport.objects.latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("plans:import_preview", args=[again.pk]))
    last = ImportRun.objects.filter(kind="plans").latest("pk")
    assert (last.status, last.created, last.updated, last.unchanged) == ("done", 0, 0, 5)
    assert Task.objects.count() == 5


def test_a_preview_job_that_fails_is_recorded_and_leaves_no_preview(
    cast, login, annual_plan, settings, celery_in_process, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    settings.PLANS_IMPORT_MAX_ROWS = 9  # the header passes; the rows are counted in the job
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("plans:import_upload"),
            {"plan": annual_plan.pk, "file": _upload(seed_workbook())},
        )
    run = ImportRun.objects.get(kind="plans.preview")
    assert response.url == reverse("engine:import_run", args=[run.pk])
    run.refresh_from_db()
    assert run.status == "failed" and "9" in run.message
    assert not PendingImport.objects.exists()
    assert AuditEntry.objects.get(action="task.import.preview").after["status"] == "failed"
    assert run.message in client.get(response.url).content.decode()


def test_a_confirm_already_under_way_is_not_started_twice(
    cast, login, annual_plan, settings, celery_in_process, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 3
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("plans:import_upload"),
            {"plan": annual_plan.pk, "file": _upload(seed_workbook())},
        )
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not started yet
        client.post(reverse("plans:import_preview", args=[pending.pk]))
        client.post(reverse("plans:import_preview", args=[pending.pk]))
    assert ImportRun.objects.filter(kind="plans").count() == 1


def test_the_preview_shows_its_rows_a_page_at_a_time(cast, login, annual_plan, monkeypatch):
    client = login(cast.quality_officer)
    client.post(
        reverse("plans:import_upload"), {"plan": annual_plan.pk, "file": _upload(seed_workbook())}
    )
    pending = PendingImport.objects.get()
    _map(client, pending, _names(cast))
    url = reverse("plans:import_preview", args=[pending.pk])
    monkeypatch.setattr("workflows.plans.views.PREVIEW_PAGE_ROWS", 2)
    pages = [client.get(url, {"page": n}) for n in (1, 2, 3)]
    assert [[r["row"] for r in p.context["rows"]] for p in pages] == [[3, 4], [5, 6], [11]]
    # The counts are the whole file's.
    assert pages[0].context["counts"] == {"created": 5, "updated": 0, "unchanged": 0, "skipped": 4}
    assert "第 2 页，共 3 页" in pages[1].content.decode()
