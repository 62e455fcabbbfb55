"""Demo activity for monitoring: open periods, readings approved, pending and rejected, yellow and
red warnings, improvements open, submitted and closed, and cycles at several stages on all five
levels. Everything goes through the services as the demo people, so audit rows and FSM logs are
what clicking would leave; running it twice changes nothing."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from workflows.levels import Level

from . import services
from .models import (
    NEXT_STAGE,
    Cycle,
    EvidenceKind,
    Improvement,
    ImprovementStatus,
    Indicator,
    Period,
    PeriodKind,
    PeriodOpening,
    Reading,
    ReadingStatus,
    Stage,
    StageGate,
    Subject,
    Warning,
    WarningStatus,
)

YEAR = 2026
SOURCE = "demo"

# (indicator, subject: unit code or username, period, value, outcome): approved values below the
# yellow / red lines raise the warnings; "pending" waits for the approver, "rejected" was sent
# back.
Y, T = "year", "term"
READINGS = [
    ("M02", "rj", Y, "80", "approved"),  # red: answered by an improvement that closed
    ("M02", "jdyt", Y, "82", "approved"),  # red: improvement still open
    ("M02", "wl", Y, "88", "approved"),  # yellow: acknowledged
    ("M05", "dsj", Y, "25", "approved"),  # yellow: waiting for a response
    ("M02", "gyjqr", Y, "84", "approved"),  # red: improvement submitted, awaiting sign-off
    ("M02", "dzsw", Y, "97", "approved"),  # inside the band
    ("C02", "rj-c01", T, "70", "approved"),  # red: the course's teacher owns the improvement
    ("C02", "rj-c02", T, "80", "approved"),  # yellow: a team member owns the improvement
    ("C02", "jdyt-c01", T, "72", "approved"),  # red: the course's teacher owns the improvement
    ("T02", "teacher", T, "75", "approved"),  # yellow on a teacher's own development
    ("P02", "student", T, "55", "approved"),  # red on a student: the class adviser follows up
    ("M02", "kj", Y, "96", "pending"),
    ("M05", "kj", Y, "8", "pending"),
    ("C02", "dsj-c01", T, "88", "pending"),
    ("M02", "scyx", Y, "45", "rejected"),
]
LEVEL_OF = {"M": Level.MAJOR, "C": Level.COURSE, "T": Level.TEACHER, "P": Level.STUDENT}

# open improvements that answer a warning: (indicator, subject, who opens it, who owns it, title)
OPEN_IMPROVEMENTS = [
    ("M02", "jdyt", "jd_leader", "jd_leader", "提高机电一体化技术报到率"),
    ("C02", "rj-c01", "rj_leader", "teacher", "改进Python程序设计课堂教学"),
    ("C02", "rj-c02", "rj_leader", "rj_member", "改进Web前端开发课堂互动"),
    ("C02", "jdyt-c01", "jd_leader", "jd_teacher", "改进电工电子技术实训教学"),
]

# (level, subject: unit code or username, stage the cycle is brought to, who runs it)
CYCLES = [
    (Level.SCHOOL, "college", Stage.PLAN, "zgb"),
    (Level.MAJOR, "wl", Stage.MONITOR, "xx_leader"),
    (Level.MAJOR, "dzsw", Stage.DIAGNOSE, "jg_leader"),
    (Level.COURSE, "rj-c01", Stage.IMPLEMENT, "rj_leader"),
    (Level.COURSE, "rj-c02", Stage.STANDARD, "rj_leader"),
    (Level.TEACHER, "teacher", Stage.PLAN, "teacher"),
    (Level.TEACHER, "rj_member", Stage.STANDARD, "rj_member"),
    (Level.STUDENT, "student", Stage.STANDARD, "student"),
]


DEMO_USERS = [
    "zgb",
    "jwc_leader",
    "xx_leader",
    "jd_leader",
    "jg_leader",
    "rj_leader",
    "rj_member",
    "teacher",
    "jd_teacher",
    "student",
]


def _people():
    return {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}


def _period(officer, kind, code, **kwargs) -> Period:
    existing = Period.objects.filter(code=code).first()
    return existing or services.period_create(actor=officer, kind=kind, year=YEAR, **kwargs)


def _open(officer, period: Period, levels) -> None:
    opening = PeriodOpening.objects.filter(period=period).first()
    if opening is None:
        opening = services.period_open(actor=officer, period=period, levels=levels)
        opening.refresh_from_db()
    if opening.status != PeriodOpening.Status.DONE:
        # Without a worker (no broker) the queued opening already ran eagerly; with one, the
        # demo must not wait for it: the same idempotent background step, run here.
        services.period_opening_run(PeriodOpening.objects.get(pk=opening.pk))


def _subject(level, key) -> Subject:
    if level in (Level.TEACHER, Level.STUDENT):
        return Subject.objects.get(level=level, subject_user__username=key)
    return Subject.objects.get(subject_unit__code=key)


def _readings(people, periods) -> None:
    # the quality office enters, the head of 教务处 (the indicators' data owner) approves
    officer, approver = people["zgb"], people["jwc_leader"]
    touched = set()
    for code, key, period, value, outcome in READINGS:
        indicator = Indicator.objects.get(code=code)
        reading, created = services.reading_submit(
            actor=officer,
            indicator=indicator,
            subject=_subject(LEVEL_OF[code[0]], key),
            period=periods[period],
            value=value,
            source=SOURCE,
            source_id=f"{code}-{key}",
        )
        if not created or reading.status != ReadingStatus.PENDING:
            continue
        if outcome == "approved":
            services.reading_approve(actor=approver, reading=reading)
            touched.add((indicator.pk, reading.period_id))
        elif outcome == "rejected":
            services.reading_reject(actor=approver, reading=reading, reason="超出合理范围，请核实")
    # What the approvals queued (Celery), run here so the demo has its warnings even when a
    # broker is configured but no worker runs; evaluating twice raises nothing twice.
    for indicator_id, period_id in sorted(touched):
        services.warnings_evaluate(
            period=Period.objects.get(pk=period_id),
            indicators=Indicator.objects.filter(pk=indicator_id),
        )


def _warning(key, code) -> Warning | None:
    subject = _subject(LEVEL_OF[code[0]], key)
    return Warning.objects.filter(subject=subject, indicator__code=code).first()


# what each warned indicator's improvement says: its cause, and the measures against it
REASONS = {
    "M02": ("生源地分布集中，宣传覆盖面不足。", "扩大招生宣传范围，增加合作中学。"),
    "C02": (
        "课堂互动少，案例与岗位实际脱节，学生参与度不高。",
        "引入企业真实项目案例，每次课安排分组讨论与随堂练习，期中开展学生座谈。",
    ),
}


def _improvement(actor, warning, owner, title):
    existing = Improvement.objects.filter(warning=warning).first()
    if existing is not None:
        return existing
    cause, measures = REASONS[warning.indicator.code]
    return services.improvement_open(
        actor=actor,
        subject=warning.subject,
        period=warning.period,
        title=title,
        cause_analysis=cause,
        measures=measures,
        owner=owner,
        deadline=max(datetime.date(YEAR + 1, 6, 30), timezone.localdate()),
        warning=warning,
    )


def _warnings_and_improvements(people) -> None:
    wl = _warning("wl", "M02")
    if wl is not None and wl.status == WarningStatus.OPEN:
        services.warning_acknowledge(actor=people["xx_leader"], warning=wl)

    rj = _warning("rj", "M02")
    if rj is not None:
        done = _improvement(people["rj_leader"], rj, people["rj_leader"], "提高软件技术专业报到率")
        if done.status == ImprovementStatus.OPEN:
            done = services.improvement_submit(
                actor=people["rj_leader"], improvement=done, evidence="新增三所合作中学的协议"
            )
        if done.status == ImprovementStatus.SUBMITTED:
            services.improvement_sign_off(
                actor=people["xx_leader"], improvement=done, effective=True, note="措施到位"
            )

    for code, key, opener, owner, title in OPEN_IMPROVEMENTS:
        warning = _warning(key, code)
        if warning is not None:
            _improvement(people[opener], warning, people[owner], title)

    gyjqr = _warning("gyjqr", "M02")
    if gyjqr is not None:
        waiting = _improvement(
            people["jd_leader"], gyjqr, people["jd_leader"], "提高工业机器人技术报到率"
        )
        if waiting.status == ImprovementStatus.OPEN:
            services.improvement_submit(
                actor=people["jd_leader"], improvement=waiting, evidence="招生宣讲记录十二份"
            )


ORDER = [*NEXT_STAGE, Stage.IMPROVED]


def _bring(actor, cycle: Cycle, stage) -> None:
    while cycle.stage in NEXT_STAGE and ORDER.index(cycle.stage) < ORDER.index(stage):
        for gate in services.cycle_missing_evidence(cycle):
            if gate.kind != EvidenceKind.DATA:
                services.cycle_add_evidence(
                    actor=actor, cycle=cycle, gate=gate, text=f"{gate.label}（演示材料）"
                )
        cycle = services.cycle_advance(actor=actor, cycle=cycle)


def _cycles(people, year: Period) -> None:
    for level, key, stage, runner in CYCLES:
        cycle = Cycle.objects.filter(subject=_subject(level, key), period=year).first()
        if cycle is not None:
            _bring(people[runner], cycle, stage)


def seed() -> dict:
    if not StageGate.objects.exists() or not Indicator.objects.exists():
        raise ValueError("load the indicators first (seed_indicators)")
    people = _people()
    missing = set(DEMO_USERS) - set(people)
    if missing:
        raise ValueError("seed the demo college first (seed_demo)")
    officer = people["zgb"]
    with transaction.atomic():
        year = _period(officer, PeriodKind.YEAR, str(YEAR))
        term = _period(
            officer,
            PeriodKind.TERM,
            f"{YEAR}-1",
            number=1,
            start=datetime.date(YEAR, 9, 1),
            end=datetime.date(YEAR + 1, 1, 17),
        )
    _open(officer, year, list(Level.values))
    _open(officer, term, [Level.COURSE, Level.TEACHER, Level.STUDENT])
    _readings(people, {"year": year, "term": term})
    _warnings_and_improvements(people)
    _cycles(people, year)
    return {
        "periods": Period.objects.filter(is_open=True).count(),
        "readings": Reading.objects.filter(source=SOURCE).count(),
        "warnings": Warning.objects.count(),
        "improvements": Improvement.objects.count(),
        "cycles": Cycle.objects.exclude(stage=Stage.TARGET).count(),
    }
