import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from accounts.models import Membership, OrgUnit, Role, User
from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Indicator, Period, PeriodKind
from workflows.statedata.models import Profile

# The sample's majors the cast's college lacks (the demo college has them all).
MORE_MAJORS = [
    ("dsj", "大数据技术", "xx"),
    ("gyjqr", "工业机器人技术", "jd"),
    ("dzsw", "电子商务", "jd"),
    ("kj", "会计", "jd"),
    ("jzgc", "建筑工程技术", "jd"),
    ("gczj", "工程造价", "jd"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def eager_celery():
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def sd(cast):
    """The shipped indicators and profiles, the 2026 year and its first term, a subject for
    every major of the sample table, and 教务处's head (who approves the indicators 教务处 owns)."""
    call_command("seed_indicators", stdout=io.StringIO())
    call_command("statedata_profiles", stdout=io.StringIO())
    u = cast.units
    for code, name, parent in MORE_MAJORS:
        OrgUnit.objects.add_child(
            OrgUnit.objects.get(pk=getattr(u, parent).pk),
            create_kwargs={"code": code, "name": name, "kind": OrgUnit.Kind.MAJOR},
        )
    for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.MAJOR):
        services.subject_for_unit(unit)
    year = Period.objects.create(
        code="2026",
        name="2026学年",
        kind=PeriodKind.YEAR,
        start=datetime.date(2026, 9, 1),
        end=datetime.date(2027, 8, 31),
        is_open=True,
    )
    term = Period.objects.create(
        code="2026-1",
        name="2026-2027学年第1学期",
        kind=PeriodKind.TERM,
        start=datetime.date(2026, 9, 1),
        end=datetime.date(2027, 1, 17),
        is_open=True,
    )
    head = User.objects.create(username="jwc_leader", full_name="林涛")
    Membership.objects.create(user=head, org_unit=u.jwc, role=Role.DEPARTMENT_LEADER)
    return SimpleNamespace(
        year=year,
        term=term,
        head=head,
        zyzs=Profile.objects.get(code="zyzs"),
        xszp=Profile.objects.get(code="xszp"),
        student=services.subject_for_user(cast.student, Level.STUDENT),
        m02=Indicator.objects.get(code="M02"),
    )


def xlsx(rows, *, name="t.xlsx", title="Sheet", write_only=False) -> SimpleUploadedFile:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet(title) if write_only else wb.active
    if not write_only:
        ws.title = title
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


HEADER = ["专业代码", "专业名称", "学年", "招生计划完成率（%）", "报到率（%）", "志愿调整率（%）"]


def zyzs(rows, **kwargs) -> SimpleUploadedFile:
    """A 专业招生与报到情况 table: a title row, the headers in row 2, then `rows`."""
    return xlsx([["专业招生与报到情况"], HEADER, *rows], **kwargs)
