import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts import services
from accounts.models import AuditEntry, Membership, Role, User
from engine.models import ImportRun

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(
    rows, header=("工号/学号", "姓名", "单位", "角色", "邮箱", "手机")
) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue(), content_type=XLSX)


ROWS = [
    ("T2024001", "钱多多", "软件技术", "教师", "qian@example.edu.cn", "13800000001"),  # row 2 ok
    ("T2024002", "", "rj", "教师", "", ""),  # row 3: no name
    ("S2024001", "孙小小", "不存在的系", "学生", "", ""),  # row 4: unknown unit
    ("S2024002", "李同学", "rj", "校长", "", ""),  # row 5: unknown role
    (2024003, "周同学", "rj", "student", "not-an-email", ""),  # row 6: bad email
    ("S2024004", "吴同学", "jdyt", "学生", "", ""),  # row 7 ok (unit by code)
    (
        "T2024001",
        "钱多多",
        "xx",
        "系(部)质量保证工作组成员",
        "",
        "",
    ),  # row 8: 2nd role, same person
]


def test_good_rows_kept_bad_rows_named(cast, login):
    client = login(cast.sysadmin)
    response = client.post(reverse("accounts:roster_import"), {"file": workbook(ROWS)})
    run = ImportRun.objects.get(kind="roster")
    assert response.status_code == 302
    assert response["Location"] == reverse("engine:import_run", args=[run.pk])
    assert run.status == ImportRun.Status.DONE and run.actor == cast.sysadmin
    assert [e["row"] for e in run.errors] == [3, 4, 5, 6]
    messages = {e["row"]: e["message"] for e in run.errors}
    assert "不存在的系" in messages[4] and "校长" in messages[5] and "not-an-email" in messages[6]
    assert run.result["rows_ok"] == 3 and run.created == 2 and run.total == 7
    page = client.get(response["Location"]).content.decode()
    assert "不存在的系" in page and "已完成" in page
    qian = User.objects.get(username="T2024001")
    assert set(qian.memberships.values_list("role", flat=True)) == {
        Role.TEACHER,
        Role.DEPARTMENT_MEMBER,
    }
    assert not User.objects.filter(
        username__in=["T2024002", "S2024001", "S2024002", "2024003"]
    ).exists()
    assert User.objects.get(username="S2024004").memberships.get().org_unit == cast.units.jdyt
    entry = AuditEntry.objects.get(action="roster.import")
    assert entry.actor == cast.sysadmin and entry.after["bad_rows"] == [3, 4, 5, 6]
    assert entry.after["status"] == "done" and entry.object_id == str(run.pk)


def test_reimport_creates_nothing_twice(cast):
    services.roster_import(actor=cast.quality_officer, file=workbook(ROWS))
    counts = (User.objects.count(), Membership.objects.count())
    run = services.roster_import(actor=cast.quality_officer, file=workbook(ROWS))
    assert (User.objects.count(), Membership.objects.count()) == counts
    assert run.created == 0 and run.result["created_memberships"] == 0
    assert run.result["rows_ok"] == 3 and run.unchanged == 2


def test_not_an_xlsx_is_a_clear_error(cast, login):
    client = login(cast.sysadmin)
    fake = SimpleUploadedFile("roster.xlsx", "name,unit\n张三,rj\n".encode(), content_type=XLSX)
    response = client.post(reverse("accounts:roster_import"), {"file": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "xlsx" in response.content.decode()
    assert not AuditEntry.objects.filter(action="roster.import").exists()
    assert not ImportRun.objects.exists()


def test_missing_columns_are_named(cast):
    with pytest.raises(services.RosterFileError) as err:
        services.roster_import(
            actor=cast.sysadmin, file=workbook([("x", "y")], header=("姓名", "邮箱"))
        )
    assert "工号/学号" in str(err.value) and "单位" in str(err.value)


def test_only_permitted_roles_import(cast, login):
    assert (
        login(cast.xx_leader)
        .post(reverse("accounts:roster_import"), {"file": workbook(ROWS)})
        .status_code
        == 403
    )
    assert not User.objects.filter(username="T2024001").exists()


def big_roster(n: int) -> SimpleUploadedFile:
    """Written like Excel writes it (with a <dimension>), in write-only mode."""
    wb = Workbook()
    ws = wb.active
    ws.append(["工号/学号", "姓名", "单位", "角色"])
    for i in range(n):
        ws.append([f"S9{i:06d}", f"学生{i}", "rj", "学生"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("big.xlsx", buffer.getvalue(), content_type=XLSX)


def test_large_roster_runs_in_the_background_with_a_progress_page(
    cast, login, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # also when REDIS_URL is set
    settings.IMPORT_INLINE_MAX_ROWS = 50
    client = login(cast.quality_officer)
    upload = big_roster(120)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("accounts:roster_import"), {"file": upload})
    run = ImportRun.objects.get(kind="roster")
    assert response.status_code == 302
    assert response["Location"] == reverse("engine:import_run", args=[run.pk])
    # Nothing imported in the request: the job was only queued.
    assert run.status == ImportRun.Status.QUEUED and len(callbacks) == 1
    assert not User.objects.filter(username__startswith="S9").exists()
    page = client.get(response["Location"])
    assert "排队" in page.content.decode() and "import-bar" in page.content.decode()
    callbacks[0]()  # the worker (eager Celery) runs the job
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert (run.total, run.processed, run.created, run.error_count) == (120, 120, 120, 0)
    assert User.objects.filter(username__startswith="S9").count() == 120
    progress = client.get(reverse("engine:import_progress", args=[run.pk])).json()
    assert progress["finished"] and progress["percent"] == 100 and progress["created"] == 120
    assert AuditEntry.objects.get(action="roster.import").after["created_users"] == 120


def test_someone_elses_import_run_is_not_found(cast, login):
    run = services.roster_import(actor=cast.quality_officer, file=workbook(ROWS))
    assert login(cast.xx_leader).get(reverse("engine:import_run", args=[run.pk])).status_code == 404
    assert login(cast.sysadmin).get(reverse("engine:import_run", args=[run.pk])).status_code == 200


def test_a_role_is_named_with_either_width_of_brackets(cast, login):
    """The roles' names follow the seed's 专业（课程）; a roster typed with ASCII brackets, as
    spreadsheets often are, names the same roles."""
    rows = [
        ("T2025001", "冯一", "rj", "专业(课程)负责人", "", ""),
        ("T2025002", "冯二", "rj", "专业（课程）质量保证小组成员", "", ""),
        ("T2025003", "冯三", "xx", "系(部)质量保证工作组成员", "", ""),
    ]
    login(cast.sysadmin).post(reverse("accounts:roster_import"), {"file": workbook(rows)})
    run = ImportRun.objects.get(kind="roster")
    assert run.errors == [] and run.result["rows_ok"] == 3
    roles = dict(
        User.objects.filter(username__startswith="T2025").values_list(
            "username", "memberships__role"
        )
    )
    assert roles == {
        "T2025001": "team_leader",
        "T2025002": "team_member",
        "T2025003": "department_member",
    }
