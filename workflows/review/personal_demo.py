"""Demo of the personal spiral: 吴芳's personal self-diagnosis report waits for her team leader
赵磊, 郑小明's is approved by his class adviser 钱老师; 钱老师 recommends 郑小明 as a 三好学生 and
the department leader approves it; 赵磊 recommends 吴芳 as an 优秀教师, waiting for the committee.
Through the services as those people; running it twice changes nothing."""

from django.db import transaction

from accounts.models import User
from workflows.levels import Level

from . import personal
from .models import PersonalReport, PersonalStatus

YEAR = "2026"
PEOPLE = ["teacher", "student", "adviser", "rj_leader", "xx_leader"]
ROW = {
    "achievements": "对照个人发展规划，年度任务基本完成，取得了阶段性成果。",
    "problems": "问题：个别目标进度滞后，实践环节投入不足；原因：时间安排不合理，主动学习不够。",
    "measures": "制定月度计划，参加专题培训，每周记录进展并对照检查。",
    "effects": "本学期按计划完成了两项任务，相关指标已有提高。",
}
OVERVIEW = "本年度对照个人发展规划和年度计划逐项自我诊断，总结成绩，查找问题，提出改进措施。"


def _cycle(user, level):
    from workflows.monitoring.models import Cycle

    return (
        Cycle.objects.filter(subject__subject_user=user, level=level, period__code=YEAR)
        .select_related("period", "subject")
        .first()
    )


def _report(user, level) -> PersonalReport | None:
    cycle = _cycle(user, level)
    if cycle is None:
        return None
    report = PersonalReport.objects.filter(cycle=cycle).first()
    if report is None:
        report = personal.personal_report_create(actor=user, cycle=cycle)
    if report.status == PersonalStatus.DRAFT:
        personal.personal_report_save(
            actor=user,
            report=report,
            overview=OVERVIEW,
            rows={row.element_id: dict(ROW) for row in report.rows.all()},
        )
        report = personal.personal_report_submit(actor=user, report=report)
    return report


def _decision(cycle, code, proposer, title, grounds, decider=None):
    from workflows.monitoring import decisions
    from workflows.monitoring.models import CycleDecision, DecisionKind, DecisionStatus

    kind = DecisionKind.objects.filter(code=code, is_active=True).first()
    if kind is None or cycle is None:
        return None
    decision = CycleDecision.objects.filter(cycle=cycle, kind=kind).first()
    if decision is None:
        decision = decisions.cycle_decision_propose(
            actor=proposer, cycle=cycle, kind=kind, title=title, grounds=grounds
        )
    if decider is not None and decision.status == DecisionStatus.PROPOSED:
        decision = decisions.cycle_decision_decide(
            actor=decider, decision=decision, approve=True, note="同意推荐"
        )
    return decision


def seed() -> dict:
    people = {u.username: u for u in User.objects.filter(username__in=PEOPLE)}
    if set(people) != set(PEOPLE):
        raise ValueError("seed the demo college first (seed_demo)")
    if personal.catalogue_for(Level.TEACHER) is None:
        raise ValueError("load the catalogues first (review_load_catalogues)")
    with transaction.atomic():
        # 吴芳's waits for 赵磊 (her team leader) in his inbox
        _report(people["teacher"], Level.TEACHER)
        # 郑小明's is approved by 钱老师 (his class adviser)
        student = _report(people["student"], Level.STUDENT)
        if student is not None and student.status == PersonalStatus.SUBMITTED:
            personal.personal_report_approve(actor=people["adviser"], report=student)
        _decision(
            _cycle(people["student"], Level.STUDENT),
            "merit-student",
            people["adviser"],
            f"{YEAR}学年三好学生",
            "出勤率达标，积极参加技能大赛并获校级一等奖。",
            decider=people["xx_leader"],
        )
        _decision(
            _cycle(people["teacher"], Level.TEACHER),
            "excellent-teacher",
            people["rj_leader"],
            f"{YEAR}学年优秀教师",
            "主持校级课程建设项目一项，指导学生获省级技能大赛二等奖。",
        )
    return {
        "personal reports": PersonalReport.objects.count(),
        "approved": PersonalReport.objects.filter(status=PersonalStatus.APPROVED).count(),
    }
