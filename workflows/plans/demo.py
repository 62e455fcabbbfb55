"""Demo chains from seed 001: 表3 plans, 表4 targets, 表5 standards and 附件1 tasks.

Everything is created through the services (so it is audited) by the quality office and
approved by the committee chair; running it twice changes nothing.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import OrgUnit, Role, User

from . import committee, services
from .models import ChangeRequest, ChangeState, ItemState, Plan, PlanKind, Standard, Target

START, END = 2026, 2030

# 表3: tier-2 special plans and their lead units (by name; the college when absent).
SPECIAL_PLANS = [
    ("专业建设规划", "教务处", "school"),
    ("师资队伍建设规划", "组织人事处", "teacher"),
    ("课程建设规划", "教务处", "course"),
    ("育人（学生发展）规划", "学生处", "student"),
    ("智能校园建设规划", "信息中心", "school"),
    ("质量保证建设规划", "质量管理办公室", "school"),
    ("校园基本建设规划", "总务处", "school"),
]

# 表4 targets (type, title, indicator, unit, baseline, yearly values) and the 表5 standard
# that serves each, keyed by the special plan they come from.
TARGETS = [
    (
        "school_scale",
        "各类在校学生规模",
        "全日制在校生数",
        "人",
        8000,
        [8400, 8800, 9200, 9600, 10000],
        "普通高等学校基本办学条件指标",
        "发展规划纲要",
    ),
    (
        "school_standing",
        "核心办学指标达到国家示范院校中位数",
        "核心指标达标项数",
        "项",
        6,
        [7, 8, 9, 10, 10],
        "国家示范院校核心办学指标中位数",
        "发展规划纲要",
    ),
    (
        "school_tier",
        "办学层次定位",
        "",
        "",
        None,
        [],
        "高等职业学校设置标准（暂行）",
        "发展规划纲要",
    ),
    (
        "major_structure",
        "专业对接支柱产业",
        "对接支柱产业专业比例",
        "%",
        70,
        [75, 80, 85, 88, 90],
        "重点专业群标准",
        "专业建设规划",
    ),
    (
        "major_operation",
        "专业建设运行机制",
        "就业率",
        "%",
        92,
        [93, 94, 95, 95, 96],
        "专业设置标准；专业预警标准",
        "专业建设规划",
    ),
    (
        "major_standing",
        "专业发展水平",
        "自治区品牌专业数",
        "个",
        2,
        [2, 3, 4, 5, 6],
        "自治区品牌专业标准",
        "专业建设规划",
    ),
    (
        "course_setting",
        "课程在人才培养方案中的地位",
        "",
        "",
        None,
        [],
        "课程体系构建规范",
        "课程建设规划",
    ),
    (
        "course_elements",
        "课程目标、内容、实施与评价",
        "课堂教学满意度",
        "%",
        85,
        [86, 88, 90, 91, 92],
        "课堂教学质量标准",
        "课程建设规划",
    ),
    (
        "course_standing",
        "各级精品课程数量",
        "院级以上精品在线开放课程数",
        "门",
        5,
        [8, 12, 16, 20, 24],
        "在线开放课程标准",
        "课程建设规划",
    ),
    (
        "teacher_quantity",
        "专兼职教师数量与比例",
        "生师比",
        ":1",
        19,
        [18, 18, 17, 17, 16],
        "专任教师数量（生师比）标准",
        "师资队伍建设规划",
    ),
    (
        "teacher_structure",
        "双师素质等结构",
        "双师素质教师比例",
        "%",
        55,
        [60, 65, 70, 75, 80],
        "“双师素质”教师培养标准",
        "师资队伍建设规划",
    ),
    (
        "teacher_standing",
        "专业带头人与骨干教师",
        "专业带头人数",
        "人",
        10,
        [12, 14, 16, 18, 20],
        "专业带头人、骨干教师选拔培养考核标准",
        "师资队伍建设规划",
    ),
    (
        "student_academic",
        "双证毕业",
        "双证书获取率",
        "%",
        80,
        [82, 85, 88, 90, 92],
        "毕业生质量标准",
        "育人（学生发展）规划",
    ),
    (
        "student_personal",
        "德技双修",
        "学生体质健康达标率",
        "%",
        88,
        [89, 90, 91, 92, 93],
        "学生综合素质标准",
        "育人（学生发展）规划",
    ),
    (
        "student_career",
        "胜任工作",
        "专业对口率",
        "%",
        65,
        [67, 69, 71, 73, 75],
        "职业发展标准",
        "育人（学生发展）规划",
    ),
]

# 附件1 rows: category, task, deliverable, lead unit, assisting units, deadline.
TASKS = [
    (
        "健全组织",
        "学校成立质量保证委员会",
        "学校印发文件，明确学校质量保证委员会成员及职责。",
        "质量管理办公室",
        ["教务处"],
        (2026, 3, 31),
    ),
    (
        "健全组织",
        "二级教学单位成立质量保证工作组",
        "二级教学单位印发文件，明确工作组成员及职责。",
        "质量管理办公室",
        ["信息工程系", "机电工程系"],
        (2026, 4, 30),
    ),
    (
        "明确目标",
        "各专业“十五五”发展目标",
        "明确各专业“十五五”发展目标。",
        "教务处",
        ["信息工程系", "机电工程系"],
        (2026, 6, 30),
    ),
    (
        "完善规划",
        "学校专业建设与发展规划",
        "学校专业建设与发展规划文本",
        "教务处",
        ["信息工程系"],
        (2026, 9, 30),
    ),
    (
        "建立标准",
        "专业建设与发展标准",
        "各专业依据学校专业建设基本标准，自行制定本专业建设与发展标准。",
        "信息工程系",
        ["教务处"],
        (2026, 10, 31),
    ),
    (
        "数据平台建设",
        "建设校本数据管理平台",
        "校本数据平台建设方案；人才培养状态数据采集与管理规定",
        "信息中心",
        ["教务处"],
        (2026, 12, 31),
    ),
]


def _unit(name, default):
    return OrgUnit.objects.filter(name=name, is_active=True).first() or default


def _approve(item, officer, chair):
    services.item_submit(actor=officer, item=item)
    services.item_review(actor=officer, item=item, approve=True)
    # the members entitled to vote approve until the committee's rule is met (the chair first)
    decision = committee.committee_open(type(item).objects.get(pk=item.pk))
    voters = sorted(decision.electorate, key=lambda pk: pk != chair.pk)
    for voter in get_user_model().objects.in_bulk(voters).values():
        if services.committee_vote(actor=voter, subject=item, approve=True) is not None:
            break
    return type(item).objects.get(pk=item.pk)


@transaction.atomic
def seed(stdout=None) -> int:
    college = OrgUnit.objects.filter(kind=OrgUnit.Kind.COLLEGE).first()
    officer = User.objects.filter(memberships__role=Role.QUALITY_OFFICER).first()
    chair = User.objects.filter(memberships__role=Role.COMMITTEE_CHAIR).first()
    if college is None or officer is None or chair is None:
        raise ValueError("seed the demo college first (a college, a quality officer, a chair)")
    if Plan.objects.filter(kind=PlanKind.GENERAL, state=ItemState.IN_FORCE).exists():
        return 0
    created = 0

    def plan(title, kind, unit, level, parent, start=START, end=END, tasks=()):
        nonlocal created
        created += 1
        item = services.plan_create(
            actor=officer,
            owner_unit=unit,
            level=level,
            content={
                "title": title,
                "kind": kind,
                "parent": parent.pk if parent else None,
                "start_year": start,
                "end_year": end,
                "summary": "",
            },
        )
        # A plan's task list is part of what the committee approves: written while a draft.
        for category, title, deliverable, lead, assisting, (y, m, d) in tasks:
            services.task_create(
                actor=officer,
                plan=item,
                category=category,
                title=title,
                deliverable=deliverable,
                lead_unit=_unit(lead, college),
                assisting=[
                    u for u in (OrgUnit.objects.filter(name=n).first() for n in assisting) if u
                ],
                deadline=datetime.date(y, m, d),
            )
            created += 1
        return _approve(item, officer, chair)

    root = plan("发展规划纲要（2026—2030年）", PlanKind.GENERAL, college, "school", None)
    by_title = {"发展规划纲要": root}
    for title, unit_name, level in SPECIAL_PLANS:
        by_title[title] = plan(title, PlanKind.SPECIAL, _unit(unit_name, college), level, root)
    for department in OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, is_active=True):
        plan(f"{department.name}“十五五”发展规划", PlanKind.DEPARTMENT, department, "major", root)

    for category, title, indicator, unit, baseline, values, standard, source in TARGETS:
        source_plan = by_title[source]
        target = services.target_create(
            actor=officer,
            plan=source_plan,
            content={
                "title": title,
                "category": category,
                "description": "",
                "indicator": indicator,
                "unit_of_measure": unit,
                "baseline": baseline,
                "values": {str(START + i): str(v) for i, v in enumerate(values)},
            },
        )
        target = _approve(target, officer, chair)
        item = services.standard_create(
            actor=officer,
            owner_unit=source_plan.owner_unit,
            level=target.level,
            content={
                "title": standard,
                "text": "",
                "reference": "选取国内同类优秀院校，参照其相关标准",
                "targets": [target.pk],
            },
        )
        _approve(item, officer, chair)
        created += 2

    plan("2026年度工作计划", PlanKind.ANNUAL, college, "school", root, START, START, TASKS)
    return created


CHANGE_SUMMARY = "双师素质教师比例目标上调"
DRAFT_STANDARD = "专业教学资源库建设标准"


@transaction.atomic
def seed_activity() -> dict:
    """After the chains: a change request the committee is voting on (one vote in) and a new
    standard waiting for the quality office's review. Idempotent."""
    officer = User.objects.filter(memberships__role=Role.QUALITY_OFFICER).first()
    member = User.objects.filter(memberships__role=Role.COMMITTEE_MEMBER).first()
    target = Target.objects.filter(title="双师素质等结构", state=ItemState.IN_FORCE).first()
    if officer is None or member is None or target is None:
        raise ValueError("seed the demo college and its plans first (seed_demo, seed_plans)")
    created = 0
    if not ChangeRequest.objects.filter(summary=CHANGE_SUMMARY).exists():
        change = services.change_request_create(
            actor=officer,
            item=target,
            summary=CHANGE_SUMMARY,
            reason="自治区“双高”建设要求双师素质教师比例2030年达到85%。",
            proposed={
                "values": {str(START + i): str(v) for i, v in enumerate([62, 68, 74, 80, 85])}
            },
        )
        created += 1
        # one member has voted; the round stays open until the rule is met
        decided = services.committee_vote(
            actor=member, subject=change, approve=True, comment="同意上调"
        )
        if decided is not None:
            raise ValueError("the committee rule let one vote decide: the demo needs a vote open")
    if not Standard.objects.filter(title=DRAFT_STANDARD).exists():
        college = OrgUnit.objects.filter(kind=OrgUnit.Kind.COLLEGE).first()
        item = services.standard_create(
            actor=officer,
            owner_unit=_unit("教务处", college),
            level="course",
            content={
                "title": DRAFT_STANDARD,
                "text": "资源库应覆盖专业核心课程，年更新率不低于10%。",
                "reference": "国家职业教育专业教学资源库建设指南",
                "targets": [
                    t.pk for t in Target.objects.filter(title="课程目标、内容、实施与评价")[:1]
                ],
            },
        )
        services.item_submit(actor=officer, item=item)
        created += 1
    return {
        "change requests in vote": ChangeRequest.objects.filter(
            state=ChangeState.SUBMITTED
        ).count(),
        "created": created,
    }
