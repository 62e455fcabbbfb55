import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts import services
from accounts.models import AuditEntry, Membership, Role, User

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
    assert response.status_code == 200
    report = response.context["report"]
    assert [n for n, _ in report.errors] == [3, 4, 5, 6]
    messages = dict(report.errors)
    assert "不存在的系" in messages[4] and "校长" in messages[5] and "not-an-email" in messages[6]
    assert report.rows_ok == 3 and report.created_users == 2
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


def test_reimport_creates_nothing_twice(cast):
    services.roster_import(actor=cast.quality_officer, file=workbook(ROWS))
    counts = (User.objects.count(), Membership.objects.count())
    report = services.roster_import(actor=cast.quality_officer, file=workbook(ROWS))
    assert (User.objects.count(), Membership.objects.count()) == counts
    assert report.created_users == 0 and report.created_memberships == 0 and report.rows_ok == 3


def test_not_an_xlsx_is_a_clear_error(cast, login):
    client = login(cast.sysadmin)
    fake = SimpleUploadedFile("roster.xlsx", "name,unit\n张三,rj\n".encode(), content_type=XLSX)
    response = client.post(reverse("accounts:roster_import"), {"file": fake})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert "xlsx" in response.content.decode()
    assert not AuditEntry.objects.filter(action="roster.import").exists()


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
