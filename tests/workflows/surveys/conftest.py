import datetime
from types import SimpleNamespace

import pytest

from accounts.models import Membership, Role, User
from tests.factories import PASSWORD_HASH
from tests.workflows.monitoring.factories import IndicatorFactory, PeriodFactory
from workflows.levels import Level
from workflows.monitoring.models import PeriodKind
from workflows.surveys import catalogue
from workflows.surveys.models import CourseSection, Enrolment, Questionnaire

STUDENTS = 6


def make_students(unit, n, prefix="s"):
    users = User.objects.bulk_create(
        [
            User(username=f"{prefix}{i:03d}", full_name=f"学生{prefix}{i}", password=PASSWORD_HASH)
            for i in range(n)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, org_unit=unit, role=Role.STUDENT) for u in users]
    )
    return users


@pytest.fixture
def sv(cast):
    """A term, the 评教 indicators (C02 course, T02 teacher) owned by 信息工程系 (its leader
    approves), the shipped questionnaires, and 吴芳's Python class with seven students."""
    u = cast.units
    term = PeriodFactory(
        code="2026-1",
        name="2026-2027学年第1学期",
        kind=PeriodKind.TERM,
        start=datetime.date(2026, 9, 1),
        end=datetime.date(2027, 1, 20),
    )
    c02 = IndicatorFactory(
        code="C02",
        name="课堂教学满意度",
        level=Level.COURSE,
        period_kind=PeriodKind.TERM,
        target_value=90,
        yellow_threshold=85,
        red_threshold=75,
        data_owner_unit=u.xx,
    )
    t02 = IndicatorFactory(
        code="T02",
        name="教学质量评估得分",
        level=Level.TEACHER,
        period_kind=PeriodKind.TERM,
        target_value=90,
        yellow_threshold=80,
        red_threshold=70,
        data_owner_unit=u.xx,
    )
    catalogue.load()
    section = CourseSection.objects.create(
        course=u.rj_python, period=term, code="RJ2301-PY", name="软件2301班", teacher=cast.teacher
    )
    students = [cast.student, *make_students(u.rj, STUDENTS)]
    Enrolment.objects.bulk_create([Enrolment(section=section, student=s) for s in students])
    return SimpleNamespace(
        term=term,
        c02=c02,
        t02=t02,
        section=section,
        students=students,
        pj=Questionnaire.objects.get(code="pj-ketang"),
        shisu=Questionnaire.objects.get(code="my-shisu"),
        graduate=Questionnaire.objects.get(code="by-xiaoyou"),
    )
