import datetime
from types import SimpleNamespace

import pytest

from workflows.levels import Level
from workflows.monitoring import services
from workflows.monitoring.models import Direction, PeriodKind

from .factories import IndicatorFactory, PeriodFactory


@pytest.fixture
def mon(cast):
    """Two yearly periods, a major-level and a student-level indicator owned by 信息工程系."""
    u = cast.units
    y2026 = PeriodFactory()
    y2027 = PeriodFactory(
        code="2027",
        name="2027学年",
        start=datetime.date(2027, 9, 1),
        end=datetime.date(2028, 8, 31),
        is_open=False,
    )
    employment = IndicatorFactory(code="M03", name="就业率", data_owner_unit=u.xx)
    complaints = IndicatorFactory(
        code="P04",
        name="食堂投诉率",
        level=Level.SCHOOL,
        direction=Direction.LOWER,
        target_value=1,
        yellow_threshold=2,
        red_threshold=5,
        data_owner_unit=u.xx,
    )
    attendance = IndicatorFactory(
        code="P01",
        name="学生出勤率",
        level=Level.STUDENT,
        period_kind=PeriodKind.YEAR,
        target_value=98,
        yellow_threshold=95,
        red_threshold=90,
        data_owner_unit=u.xx,
    )
    return SimpleNamespace(
        y2026=y2026,
        y2027=y2027,
        employment=employment,
        complaints=complaints,
        attendance=attendance,
        rj=services.subject_for_unit(u.rj),
        wl=services.subject_for_unit(u.wl),
        jdyt=services.subject_for_unit(u.jdyt),
        college=services.subject_for_unit(u.college),
        student=services.subject_for_user(cast.student, Level.STUDENT),
    )


@pytest.fixture
def approved(cast, mon, django_capture_on_commit_callbacks):
    """approved(indicator, subject, value, period=None): enter as xx_member, approve as
    xx_leader, and run what approval queues after commit (the evaluation)."""

    def _approved(indicator, subject, value, period=None):
        reading, _ = services.reading_submit(
            actor=cast.xx_member,
            indicator=indicator,
            subject=subject,
            period=period or mon.y2026,
            value=value,
        )
        with django_capture_on_commit_callbacks(execute=True):
            return services.reading_approve(actor=cast.xx_leader, reading=reading)

    return _approved


@pytest.fixture(autouse=True)
def eager_celery():
    """Run queued tasks in-process even when REDIS_URL points at a real broker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
