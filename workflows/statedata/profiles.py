"""The shipped import profiles: the state-data tables behind the seed-001 indicators the demo
monitors (catalogue.py).

Seeds 001 and 002 name the national 人才培养工作状态数据 platform as the basis of every
diagnosis but not its tables, their numbers or their columns. So the tables here carry plain
names and the columns the indicators' formulas need; a college renames them (and their column
headers) to match its version of the platform's export on the profile page. The grade mapping
of 学生综合素质测评 and the 是/否 mapping of 顶岗实习 are the college's defaults, not a seed's.

`load_profiles()` creates the profiles missing by code and leaves an existing one as the
college edited it: re-running it changes nothing.
"""

from django.db import transaction

from workflows.monitoring.models import Indicator

from .models import Profile, ProfileColumn, SubjectKey

NOTE = "表名与列名为通俗名称：种子文件未给出状态数据平台的表号与列名，请按本校平台导出的表头修改。"

# code, table name, subject key, subject column, period column, header row,
# [(column header, indicator code, value mapping, scale)]
PROFILES = [
    (
        "zyzs",
        "专业招生与报到情况",
        SubjectKey.MAJOR,
        "专业代码",
        "学年",
        2,
        [
            ("招生计划完成率（%）", "M01", {}, 1),
            ("报到率（%）", "M02", {}, 1),
            ("志愿调整率（%）", "M05", {}, 1),
        ],
    ),
    (
        "byjy",
        "毕业生就业情况",
        SubjectKey.MAJOR,
        "专业代码",
        "学年",
        1,
        [("就业率（%）", "M03", {}, 1), ("专业对口率（%）", "M04", {}, 1)],
    ),
    (
        "kcjx",
        "课程教学情况",
        SubjectKey.COURSE,
        "课程代码",
        "学期",
        1,
        [
            ("实训计划开出率（%）", "C01", {}, 1),
            ("学生评教满意度（%）", "C02", {}, 1),
            ("教学进度与计划吻合度（%）", "C03", {}, 1),
        ],
    ),
    (
        "jszl",
        "教师教学质量评价",
        SubjectKey.STAFF,
        "工号",
        "学期",
        1,
        [("教学质量评价得分", "T02", {}, 1), ("被听课次数", "T03", {}, 1)],
    ),
    (
        "xszp",
        "学生综合素质测评",
        SubjectKey.STUDENT,
        "学号",
        "学期",
        1,
        [
            (
                "综合素质测评等级",
                "P02",
                {"优秀": "95", "良好": "85", "中等": "75", "及格": "65", "不及格": "50"},
                1,
            )
        ],
    ),
    (
        "dgsx",
        "学生顶岗实习情况",
        SubjectKey.STUDENT,
        "学号",
        "学年",
        1,
        [("实习岗位是否对口", "P03", {"是": "100", "否": "0"}, 1)],
    ),
    (
        "xxjb",
        "学校基本情况",
        SubjectKey.UNIT,
        "单位代码",
        "学年",
        1,
        [
            ("生师比", "S01", {}, 1),
            ("毕业生就业率（%）", "S02", {}, 1),
            ("双师素质教师比例（%）", "T01", {}, 1),
        ],
    ),
]


@transaction.atomic
def load_profiles() -> int:
    """Create the shipped profiles that are missing; returns how many were created."""
    indicators = {i.code: i for i in Indicator.objects.all()}
    missing = {c for p in PROFILES for _h, c, _m, _s in p[6]} - set(indicators)
    if missing:
        raise ValueError(
            f"load the indicators first (seed_indicators): {', '.join(sorted(missing))}"
        )
    created = 0
    for code, name, key, subject_column, period_column, header_row, columns in PROFILES:
        profile, made = Profile.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": NOTE,
                "subject_key": key,
                "subject_column": subject_column,
                "period_column": period_column,
                "header_row": header_row,
            },
        )
        if not made:
            continue
        created += 1
        for position, (header, indicator, mapping, scale) in enumerate(columns):
            ProfileColumn.objects.create(
                profile=profile,
                header=header,
                indicator=indicators[indicator],
                value_map=mapping,
                scale=scale,
                position=position,
            )
    return created
