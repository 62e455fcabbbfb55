"""The default indicator catalogue (seed 001 表10–13 and the spiral figures) and evidence gates."""

from decimal import Decimal as D

from workflows.levels import Level

from .models import Direction, EvidenceKind, PeriodKind, Stage

H, L = Direction.HIGHER, Direction.LOWER
Y, T, W = PeriodKind.YEAR, PeriodKind.TERM, PeriodKind.WEEK

# code, name, level, unit, direction, period, min, max, target, yellow, red, owner code, formula
INDICATORS = [
    (
        "S01",
        "生师比",
        Level.SCHOOL,
        "",
        L,
        Y,
        0,
        None,
        18,
        18,
        22,
        "zgb",
        "折合在校生数 ÷ 专任教师数",
    ),
    (
        "S02",
        "就业率",
        Level.SCHOOL,
        "%",
        H,
        Y,
        0,
        100,
        95,
        90,
        85,
        "zgb",
        "已就业毕业生 ÷ 毕业生总数",
    ),
    ("S03", "母校满意度", Level.SCHOOL, "%", H, Y, 0, 100, 90, 85, 75, "zgb", "毕业生问卷"),
    (
        "M01",
        "专业招生计划完成率",
        Level.MAJOR,
        "%",
        H,
        Y,
        0,
        100,
        100,
        90,
        80,
        "jwc",
        "实际录取数 ÷ 招生计划数",
    ),
    ("M02", "报到率", Level.MAJOR, "%", H, Y, 0, 100, 95, 90, 85, "jwc", "报到新生数 ÷ 录取数"),
    (
        "M03",
        "就业率",
        Level.MAJOR,
        "%",
        H,
        Y,
        0,
        100,
        95,
        90,
        85,
        "jwc",
        "已就业毕业生 ÷ 毕业生总数",
    ),
    (
        "M04",
        "专业对口率",
        Level.MAJOR,
        "%",
        H,
        Y,
        0,
        100,
        80,
        70,
        60,
        "jwc",
        "对口就业数 ÷ 已就业数",
    ),
    ("M05", "志愿调整率", Level.MAJOR, "%", L, Y, 0, 100, 10, 20, 30, "jwc", "调剂录取数 ÷ 录取数"),
    (
        "C01",
        "实训计划开出率",
        Level.COURSE,
        "%",
        H,
        T,
        0,
        100,
        100,
        95,
        90,
        "jwc",
        "开出实训项目 ÷ 计划项目",
    ),
    ("C02", "课堂教学满意度", Level.COURSE, "%", H, T, 0, 100, 90, 85, 75, "jwc", "学生评教"),
    (
        "C03",
        "教学进度与计划吻合度",
        Level.COURSE,
        "%",
        H,
        T,
        0,
        100,
        95,
        90,
        80,
        "jwc",
        "按计划完成课时 ÷ 计划课时",
    ),
    (
        "T01",
        "双师素质教师比例",
        Level.SCHOOL,
        "%",
        H,
        Y,
        0,
        100,
        60,
        50,
        40,
        "zgb",
        "双师素质教师 ÷ 专任教师",
    ),
    (
        "T02",
        "教学质量评估得分",
        Level.TEACHER,
        "分",
        H,
        T,
        0,
        100,
        90,
        80,
        70,
        "jwc",
        "学生评教、同行评议、督导评价加权",
    ),
    ("T03", "听课次数", Level.TEACHER, "次", H, T, 0, None, 8, 6, 4, "jwc", "本学期听课记录"),
    (
        "T04",
        "补救辅导率",
        Level.TEACHER,
        "%",
        H,
        T,
        0,
        100,
        90,
        80,
        60,
        "jwc",
        "已辅导学生 ÷ 需辅导学生",
    ),
    (
        "P01",
        "学生出勤率",
        Level.STUDENT,
        "%",
        H,
        W,  # collected per student per week (考勤)
        0,
        100,
        98,
        95,
        90,
        "jwc",
        "实到课时 ÷ 应到课时",
    ),
    (
        "P02",
        "综合素质测评成绩",
        Level.STUDENT,
        "分",
        H,
        T,
        0,
        100,
        85,
        70,
        60,
        "jwc",
        "综合素质测评",
    ),
    (
        "P03",
        "顶岗实习对口率",
        Level.STUDENT,
        "%",
        H,
        Y,
        0,
        100,
        80,
        70,
        60,
        "jwc",
        "对口实习 ÷ 实习",
    ),
    ("P04", "食堂投诉率", Level.SCHOOL, "%", L, T, 0, 100, 1, 2, 5, "zgb", "投诉人次 ÷ 就餐学生数"),
]

REPORT = {
    Level.SCHOOL: "学校诊改报告",
    Level.MAJOR: "专业诊改报告",
    Level.COURSE: "课程诊改报告",
    Level.TEACHER: "教师个人诊改报告",
    Level.STUDENT: "学生个人诊改报告",
}
PLAN = {
    Level.SCHOOL: "学校年度工作计划",
    Level.MAJOR: "专业建设方案与人才培养方案",
    Level.COURSE: "课程建设方案与课程标准",
    Level.TEACHER: "教师个人发展规划",
    Level.STUDENT: "学生个人发展规划",
}
D_, DOC, DEC = EvidenceKind.DATA, EvidenceKind.DOCUMENT, EvidenceKind.DECISION


# A teacher's or a student's diagnosis (seed 001, the flowcharts of 图11–14: 教师/学生自主诊断，
# 考核性诊断) ends the academic year in the personal report (教师/学生个人发展诊改报告, written
# on the yearly cycle: workflows.review.personal); a term's diagnosis is the person's own
# self-diagnosis of that term (自主诊断), recorded as the cycle's evidence.
TERM_DIAGNOSIS = {
    Level.TEACHER: "教师本学期自主诊断记录",
    Level.STUDENT: "学生本学期自主诊断记录",
}


def gates_for(level: str) -> list[tuple[str, str, str, str]]:
    """(stage, kind, label, period kind) the cycle of a level must show before leaving each
    stage; the period kind is empty where a gate holds for cycles of every kind of period."""
    if level in TERM_DIAGNOSIS:
        diagnosis = [
            (Stage.DIAGNOSE, DOC, REPORT[level], PeriodKind.YEAR),
            (Stage.DIAGNOSE, DOC, TERM_DIAGNOSIS[level], PeriodKind.TERM),
        ]
    else:
        diagnosis = [(Stage.DIAGNOSE, DOC, REPORT[level], "")]
    return [
        (Stage.TARGET, DEC, "目标已确定并报批", ""),
        (Stage.STANDARD, DOC, "标准文本", ""),
        (Stage.PLAN, DOC, PLAN[level], ""),
        (Stage.IMPLEMENT, DOC, "实施记录", ""),
        (Stage.MONITOR, D_, "本期已审核的监测数据", ""),
        *diagnosis,
        (Stage.INCENTIVE, DEC, "激励决定（考核结果运用）", ""),
        (Stage.LEARN, DOC, "学习与培训记录", ""),
        (Stage.INNOVATE, DOC, "创新举措", ""),
    ]


def as_decimal(v):
    return None if v is None else D(str(v))
