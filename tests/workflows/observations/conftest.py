import datetime
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import Membership, Role
from tests.factories import UserFactory
from tests.workflows.monitoring.factories import IndicatorFactory, PeriodFactory
from workflows.levels import Level
from workflows.monitoring.models import PeriodKind
from workflows.observations import services
from workflows.observations.models import (
    DutyQuota,
    FormItem,
    FormSection,
    FormVersion,
    ObservationForm,
)

POINTS = [
    "教学准备充分度",
    "教学内容贴合度",
    "方法手段适用度",
    "学生课堂参与度",
    "教学环节的完整度",
]


def shipped_form() -> ObservationForm:
    """The form migration 0002 ships (a transactional test flushes it: put it back)."""
    form, created = ObservationForm.objects.get_or_create(
        code="classroom", defaults={"name": "课堂教学质量评价表"}
    )
    if created or not form.versions.exists():
        version = FormVersion.objects.create(form=form, number=1)
        section = FormSection.objects.create(version=version, position=1, title="课堂教学")
        for position, label in enumerate(POINTS, start=1):
            FormItem.objects.create(
                section=section, position=position, label=label, weight=Decimal(20), max_score=10
            )
    return form


@pytest.fixture
def obs(cast):
    """The shipped form linked (version 2) to a course and a teacher indicator of 教务处, whose
    head approves; a term around today."""
    today = timezone.localdate()
    term = PeriodFactory(
        code="T-now",
        name="本学期",
        kind=PeriodKind.TERM,
        start=today - datetime.timedelta(days=40),
        end=today + datetime.timedelta(days=60),
    )
    approver = UserFactory(username="jwc_leader", full_name="林涛")
    Membership.objects.create(user=approver, org_unit=cast.units.jwc, role=Role.DEPARTMENT_LEADER)
    common = {
        "period_kind": PeriodKind.TERM,
        "data_owner_unit": cast.units.jwc,
        "target_value": Decimal(85),
        "yellow_threshold": Decimal(80),
        "red_threshold": Decimal(70),
    }
    course_indicator = IndicatorFactory(
        code="C21", name="听课评价得分", level=Level.COURSE, **common
    )
    teacher_indicator = IndicatorFactory(
        code="T21", name="听课评价得分（教师）", level=Level.TEACHER, **common
    )
    form = shipped_form()
    v1 = form.current_version()
    version = services.form_version_save(
        actor=cast.quality_officer,
        form=form,
        sections=[
            {
                "title": "课堂教学",
                "items": [
                    {"label": i.label, "weight": i.weight, "max_score": i.max_score}
                    for i in v1.items()
                ],
            }
        ],
        course_indicator=course_indicator,
        teacher_indicator=teacher_indicator,
    )
    return SimpleNamespace(
        term=term,
        approver=approver,
        course_indicator=course_indicator,
        teacher_indicator=teacher_indicator,
        form=form,
        v1=v1,
        version=version,
        items=list(version.items()),
    )


def sheet(obs, course, teacher=None, scores=(8, 8, 7, 6, 7), key=None, **extra) -> dict:
    """What the phone posts."""
    data = {
        "version": obs.version.pk,
        "client_key": str(key or uuid.uuid4()),
        "kind": "observation",
        "course": course.pk,
        "class_name": "2025级1班",
        "teacher": teacher.pk if teacher else "",
        "teacher_name": "" if teacher else "外聘教师王某",
        "place": "实训楼 A203",
        "observed_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "strengths": "目标明确",
        "suggestions": "学生练习时间偏少",
    }
    for item, score in zip(obs.items, scores, strict=True):
        data[f"score_{item.pk}"] = str(score)
        data[f"comment_{item.pk}"] = ""
    data.update(extra)
    return data


@pytest.fixture
def quotas(db):
    DutyQuota.objects.get_or_create(role=Role.SUPERVISOR, per="week", defaults={"count": 3})
    DutyQuota.objects.get_or_create(role=Role.DEPARTMENT_LEADER, per="term", defaults={"count": 4})
