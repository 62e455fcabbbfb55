"""The questionnaires the college ships with (data; edit them in the admin).

学生评教: seed 001's 课堂教学质量 dimensions
(教学态度、教学内容、教学组织、教学方法与手段、教学效果)
as 5-point rating questions, the overall satisfaction feeding 课堂教学满意度 (C02, a course's share
of the top two answers) and 教学质量评估得分 (T02, the teacher's mean as a score out of 100).
食堂/宿舍: seed 001 §五(六)1 "每学期开展学生食堂和宿舍满意度问卷调查", feeding the college-level
食堂满意度 and 宿舍满意度 indicators added here (SV01, SV02). The graduate and employer
questionnaires feed 母校满意度 (S03). Which question feeds which indicator, and how, is the
college's default, not a seed's rule."""

from django.db import transaction

from accounts.models import OrgUnit
from workflows.levels import Level
from workflows.monitoring.models import Direction, Indicator, PeriodKind

from .models import Aggregation, Question, QuestionKind, Questionnaire, Section

L, S, M, T = QuestionKind.LIKERT, QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TEXT

# questionnaire: code, title, kind, intro,
#   [(section, [(text, kind, choices, indicator, aggregation)])]
QUESTIONNAIRES = [
    (
        "pj-ketang",
        "学生评教问卷（课堂教学）",
        "evaluation",
        "请根据本学期的课堂体验如实评价，评价结果用于改进教学，不记名。",
        [
            (
                "课堂教学质量",
                [
                    ("教学态度：认真负责、准时上下课、耐心答疑", L, [], None, "none"),
                    ("教学内容：内容充实，贴合专业与岗位要求", L, [], None, "none"),
                    ("教学组织：课堂环节完整，节奏合理", L, [], None, "none"),
                    ("教学方法与手段：方法得当，手段适用", L, [], None, "none"),
                    ("教学效果：我掌握了本课程的知识与技能", L, [], None, "none"),
                ],
            ),
            (
                "总体评价",
                [
                    ("总体而言，你对本课程的课堂教学是否满意？", L, [], "C02", "top2"),
                    ("总体而言，你对这位老师的教学是否满意？", L, [], "T02", "score100"),
                    (
                        "你在课堂上的参与程度",
                        S,
                        ["很少参与", "偶尔参与", "经常参与", "积极参与"],
                        None,
                        "none",
                    ),
                    (
                        "你最希望改进的方面（可多选）",
                        M,
                        ["讲解更清楚", "更多实践操作", "更多互动", "作业反馈更及时", "课件资源"],
                        None,
                        "none",
                    ),
                    ("给老师的意见和建议", T, [], None, "none"),
                ],
            ),
        ],
    ),
    (
        "my-shisu",
        "学生食堂和宿舍满意度问卷",
        "satisfaction",
        "每学期开展一次，用于督查后勤服务的改进。不记名。",
        [
            (
                "食堂",
                [
                    ("饭菜质量与口味", L, [], None, "none"),
                    ("价格合理", L, [], None, "none"),
                    ("卫生状况", L, [], None, "none"),
                    ("总体而言，你对学生食堂是否满意？", L, [], "SV01", "top2"),
                ],
            ),
            (
                "宿舍",
                [
                    ("宿舍设施与维修响应", L, [], None, "none"),
                    ("宿舍管理与安全", L, [], None, "none"),
                    ("总体而言，你对宿舍是否满意？", L, [], "SV02", "top2"),
                    ("其他意见和建议", T, [], None, "none"),
                ],
            ),
        ],
    ),
    (
        "by-xiaoyou",
        "毕业生母校满意度问卷",
        "graduate",
        "感谢你参加毕业生跟踪调查。不记名。",
        [
            (
                "母校评价",
                [
                    ("所学专业知识与技能对工作的帮助", L, [], None, "none"),
                    ("总体而言，你对母校是否满意？", L, [], "S03", "top2"),
                    ("对母校的建议", T, [], None, "none"),
                ],
            )
        ],
    ),
    (
        "yr-danwei",
        "用人单位满意度问卷",
        "employer",
        "感谢贵单位对我院毕业生的评价。不记名。",
        [
            (
                "毕业生表现",
                [
                    ("职业素养与工作态度", L, [], None, "none"),
                    ("专业技能", L, [], None, "none"),
                    ("总体而言，贵单位对我院毕业生是否满意？", L, [], None, "none"),
                    ("对人才培养的建议", T, [], None, "none"),
                ],
            )
        ],
    ),
]

# indicators the surveys feed that the monitoring catalogue lacks:
# code, name, level, unit, direction, period kind, min, max, target, yellow, red, owner, formula
_TERMLY = (Direction.HIGHER, PeriodKind.TERM, 0, 100, 90, 80, 70, "zgb")
INDICATORS = [
    ("SV01", "食堂满意度", Level.SCHOOL, "%", *_TERMLY, "食堂满意度问卷：满意及以上占比"),
    ("SV02", "宿舍满意度", Level.SCHOOL, "%", *_TERMLY, "宿舍满意度问卷：满意及以上占比"),
]


def ensure_indicators() -> int:
    created = 0
    for (
        code,
        name,
        level,
        unit,
        direction,
        kind,
        lo,
        hi,
        target,
        yellow,
        red,
        owner,
        formula,
    ) in INDICATORS:
        owner_unit = OrgUnit.objects.filter(code=owner).first()
        if owner_unit is None or Indicator.objects.filter(code=code).exists():
            continue
        Indicator.objects.create(
            code=code,
            name=name,
            level=level,
            unit_of_measure=unit,
            direction=direction,
            period_kind=kind,
            min_value=lo,
            max_value=hi,
            target_value=target,
            yellow_threshold=yellow,
            red_threshold=red,
            data_owner_unit=owner_unit,
            formula=formula,
        )
        created += 1
    return created


@transaction.atomic
def load() -> int:
    """Create the shipped questionnaires once (an edited one is left alone); map questions to
    the indicators that exist now. Returns how many questionnaires were created."""
    ensure_indicators()
    indicators = {i.code: i for i in Indicator.objects.all()}
    created = 0
    for code, title, kind, intro, sections in QUESTIONNAIRES:
        questionnaire, new = Questionnaire.objects.get_or_create(
            code=code, defaults={"title": title, "kind": kind, "intro": intro}
        )
        if new:
            created += 1
            for s_pos, (s_title, questions) in enumerate(sections, start=1):
                section = Section.objects.create(
                    questionnaire=questionnaire, position=s_pos, title=s_title
                )
                for q_pos, (text, q_kind, choices, _ind, _agg) in enumerate(questions, start=1):
                    Question.objects.create(
                        section=section,
                        position=q_pos,
                        text=text,
                        kind=q_kind,
                        choices=choices,
                        points=len(choices) if choices else 5,
                        required=q_kind != T,
                    )
        # link the indicators that exist (seeded later than this questionnaire, perhaps)
        for s_title, questions in sections:
            for text, _k, _c, indicator_code, aggregation in questions:
                indicator = indicators.get(indicator_code) if indicator_code else None
                if indicator is None:
                    continue
                Question.objects.filter(
                    section__questionnaire=questionnaire,
                    section__title=s_title,
                    text=text,
                    indicator__isnull=True,
                ).update(indicator=indicator, aggregation=Aggregation(aggregation))
    return created
