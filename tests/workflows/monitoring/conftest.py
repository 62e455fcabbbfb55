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


def _in_force(cast, item, submitter, reviewer):
    from workflows.plans import services as plans

    plans.item_submit(actor=submitter, item=item)
    plans.item_review(actor=reviewer, item=item, approve=True)
    for member in (cast.chair, cast.committee_member):
        plans.committee_vote(actor=member, subject=item, approve=True)
    return type(item).objects.get(pk=item.pk)


@pytest.fixture
def chains(cast, mon):
    """In-force chains: the college's general plan; 软件技术's construction scheme with a
    target (就业率, measured by mon.employment) and a standard; a task led by 软件技术; a target
    of 物流管理's that must not reach 软件技术; 吴芳's self-development plan with a target
    (measured by a teacher-level indicator) and the college's teacher standard."""
    from workflows.plans import services as plans
    from workflows.plans.models import PlanKind, Task

    u, qo = cast.units, cast.quality_officer

    def plan(actor, unit, level, title, kind, parent=None, owner_user=None):
        return plans.plan_create(
            actor=actor,
            owner_unit=unit,
            owner_user=owner_user,
            level=level,
            content={
                "title": title,
                "kind": kind,
                "parent": parent.pk if parent else None,
                "start_year": 2026,
                "end_year": 2030,
                "summary": "",
            },
        )

    def target(actor, on, title, category, indicator="", values=None):
        return plans.target_create(
            actor=actor,
            plan=on,
            content={
                "title": title,
                "category": category,
                "description": "",
                "indicator": indicator,
                "unit_of_measure": "%" if indicator else "",
                "baseline": "90" if indicator else None,
                "values": values or {},
            },
        )

    def standard(actor, unit, level, title, targets):
        return plans.standard_create(
            actor=actor,
            owner_unit=unit,
            level=level,
            content={"title": title, "text": title, "reference": "", "targets": targets},
        )

    root = _in_force(
        cast,
        plan(qo, u.college, Level.SCHOOL, "学院“十五五”发展规划纲要", PlanKind.GENERAL),
        qo,
        qo,
    )
    lead, head = cast.software_lead, cast.xx_leader
    scheme = _in_force(
        cast,
        plan(lead, u.rj, Level.MAJOR, "软件技术专业建设方案", PlanKind.MAJOR_SCHEME, root),
        lead,
        head,
    )
    employment = _in_force(
        cast,
        target(
            lead, scheme, "毕业生就业率", "major_standing", "就业率", {"2026": "95", "2027": "96"}
        ),
        lead,
        head,
    )
    major_standard = _in_force(
        cast, standard(lead, u.rj, Level.MAJOR, "软件技术专业教学标准", [employment.pk]), lead, head
    )
    task = Task.objects.create(
        plan=scheme,
        category="专业建设",
        title="新增三家校企合作企业",
        deliverable="合作协议",
        lead_unit=u.rj,
        import_key="rj-1",
    )
    wl_scheme = _in_force(
        cast,
        plan(head, u.wl, Level.MAJOR, "物流管理专业建设方案", PlanKind.MAJOR_SCHEME, root),
        head,
        head,
    )
    wl_target = _in_force(
        cast, target(head, wl_scheme, "物流专业对口率", "major_operation"), head, head
    )
    mon.employment.plan_target = employment
    mon.employment.save()

    teacher = cast.teacher
    personal = _in_force(
        cast,
        plan(
            teacher,
            u.rj,
            Level.TEACHER,
            "吴芳教师自我发展规划",
            PlanKind.TEACHER_SELF,
            root,
            owner_user=teacher,
        ),
        teacher,
        head,
    )
    teaching = _in_force(
        cast, target(teacher, personal, "课堂教学满意度达到优秀", "teacher_standing"), teacher, head
    )
    teacher_standard = _in_force(
        cast, standard(qo, u.college, Level.TEACHER, "专任教师职业能力标准", [teaching.pk]), qo, qo
    )
    satisfaction = IndicatorFactory(
        code="T01",
        name="课堂教学满意度",
        level=Level.TEACHER,
        data_owner_unit=u.xx,
        plan_target=teaching,
    )
    return SimpleNamespace(
        root=root,
        scheme=scheme,
        employment=employment,
        major_standard=major_standard,
        task=task,
        wl_target=wl_target,
        personal=personal,
        teaching=teaching,
        teacher_standard=teacher_standard,
        satisfaction=satisfaction,
    )
