"""Demo observations, through the services as the demo people: 孙丽 (督导) observes two lessons —
one becomes course and teacher readings that 教务处 approves (a yellow warning follows), the
other a quality case — and 刘伟 (系主任) a third; 吴芳 answers hers. Running it twice changes
nothing."""

import datetime
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import OrgUnit, User
from engine.models import Term
from workflows.levels import Level
from workflows.monitoring import services as monitoring
from workflows.monitoring.models import Indicator, Period, PeriodKind, Reading, ReadingStatus

from . import services
from .models import Observation, ObservationForm

# (code, name, level): the weighted total of an observation, read per term
INDICATORS = [
    ("C21", "听课评价得分", Level.COURSE),
    ("T21", "听课评价得分（教师）", Level.TEACHER),
]
# (key, observer, course code, teacher, day, hour, scores, suggestions, what follows)
OBSERVATIONS = [
    (
        "demo-1",
        "dudao",
        "rj-c01",
        "teacher",
        datetime.date(2026, 11, 10),
        10,
        [8, 8, 7, 6, 7],
        "学生分组练习时间偏少，建议增加课堂互动与即时反馈。",
        "readings",
    ),
    (
        "demo-2",
        "dudao",
        "jdyt-c02",
        "jd_teacher",
        datetime.date(2026, 11, 18),
        14,
        [5, 6, 5, 4, 5],
        "实训设备未提前调试，近二十分钟无法开展实操；课堂纪律松散。",
        "case",
    ),
    (
        "demo-3",
        "xx_leader",
        "rj-c02",
        "rj_member",
        datetime.date(2026, 11, 25),
        8,
        [9, 9, 8, 9, 9],
        "",
        "",
    ),
]
REPLY = "感谢督导的指导。下周起每次课安排15分钟分组练习，并用课堂测验即时反馈。"


def _indicators(owner) -> dict:
    out = {}
    for code, name, level in INDICATORS:
        indicator, _created = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "unit_of_measure": "分",
                "direction": "higher",
                "period_kind": PeriodKind.TERM,
                "min_value": Decimal("0"),
                "max_value": Decimal("100"),
                "target_value": Decimal("85"),
                "yellow_threshold": Decimal("80"),
                "red_threshold": Decimal("70"),
                "data_owner_unit": owner,
                "formula": "听课与教学巡查评价表加权总分，本学期均值",
            },
        )
        out[level] = indicator
    return out


def _term():
    period = Period.objects.filter(kind=PeriodKind.TERM, code="2026-1").first()
    if (
        period is not None
        and not Term.objects.filter(start__lte=period.end, end__gte=period.start).exists()
    ):
        Term.objects.get_or_create(
            name=period.name, defaults={"start": period.start, "end": period.end}
        )


def seed() -> dict:
    people = {u.username: u for u in User.objects.all()}
    if "zgb" not in people or "dudao" not in people:
        raise ValueError("seed the demo college first (seed_demo)")
    officer = people["zgb"]
    form = ObservationForm.objects.get(code="classroom")
    indicators = _indicators(OrgUnit.objects.get(code="jwc"))
    with transaction.atomic():
        version = form.current_version()
        if version.course_indicator_id is None:
            sections = [
                {
                    "title": section.title,
                    "items": [
                        {
                            "label": i.label,
                            "guidance": i.guidance,
                            "weight": i.weight,
                            "max_score": i.max_score,
                        }
                        for i in section.items.all()
                    ],
                }
                for section in version.sections.all()
            ]
            services.form_version_save(
                actor=officer,
                form=form,
                sections=sections,
                course_indicator=indicators[Level.COURSE],
                teacher_indicator=indicators[Level.TEACHER],
                note="关联听课评价得分指标",
            )
        version = form.current_version()
    _term()
    now = timezone.now()
    made = 0
    for key, observer, course, teacher, day, hour, scores, suggestions, then in OBSERVATIONS:
        client_key = uuid.uuid5(uuid.NAMESPACE_URL, f"zhengai-demo-observation:{key}")
        observed_at = min(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))),
            now - datetime.timedelta(hours=1),
        )
        items = list(version.items())
        observation, created = services.observation_submit(
            actor=people[observer],
            client_key=client_key,
            version=version,
            course=OrgUnit.objects.get(code=course),
            observed_at=observed_at,
            scores={item.pk: (str(s), "") for item, s in zip(items, scores, strict=True)},
            teacher=people[teacher],
            class_name="2025级1班",
            place="实训楼 A203",
            strengths="教学目标明确，教态自然。",
            suggestions=suggestions,
        )
        made += created
        if then == "readings":
            for reading in services.readings_of(observation).filter(status=ReadingStatus.PENDING):
                monitoring.reading_approve(actor=people["jwc_leader"], reading=reading)
            if not observation.replies.exists():
                services.observation_reply(
                    actor=people[teacher], observation=observation, text=REPLY
                )
        elif then == "case":
            services.observation_open_case(actor=people[observer], observation=observation)
    services.duties_refresh()
    return {
        "observations": Observation.objects.count(),
        "new": made,
        "readings": Reading.objects.filter(source="observation").count(),
        "cases": Observation.objects.exclude(case=None).count(),
    }
