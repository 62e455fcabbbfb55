"""Helpers that build cases in a given state through the services, as the actors would."""

import uuid

from accounts.models import Role
from cases import services
from cases.models import Case, Category, Grade, Notice
from cases.models import Status as S
from tests.factories import MembershipFactory, UserFactory


def category(name="课堂教学"):
    return Category.objects.get(name=name, parent__isnull=False)


def grade(name="一般"):
    return Grade.objects.get(name=name)


def unit_head(unit, username=None):
    """The leader of a functional office (acts for it as the responsible unit)."""
    user = UserFactory(username=username or f"head-{unit.code}")
    MembershipFactory(user=user, org_unit=unit, role=Role.DEPARTMENT_LEADER)
    return user


def file_case(actor, unit, *, kind=Case.Kind.COMPLAINT, title="课堂秩序混乱", **kw):
    return services.case_file(
        actor=actor,
        kind=kind,
        title=title,
        description=kw.pop("description", "上课迟到二十分钟，学生无人管理。"),
        subject_unit=unit,
        idempotency_key=kw.pop("idempotency_key", uuid.uuid4()),
        **kw,
    )


def body_of(cast, case):
    return {cast.units.xx.pk: cast.xx_leader, cast.units.jd.pk: cast.jd_leader}.get(
        case.accepting_unit_id, cast.quality_officer
    )


ORDER = [
    S.SUBMITTED,
    S.ACCEPTED,
    S.CLASSIFIED,
    S.INVESTIGATING,
    S.DETERMINED,
    S.RECTIFYING,
    S.VERIFYING,
    S.RECTIFIED,
    S.FEEDBACK,
    S.CLOSED,
]


def advance(cast, case, to, *, responsible_unit=None, grade_name="一般"):
    """Walk `case` through the services up to state `to` (along the main path)."""
    body = body_of(cast, case)
    responsible_unit = responsible_unit or cast.units.rj
    steps = {
        S.ACCEPTED: lambda c: services.case_accept(actor=body, case=c),
        S.CLASSIFIED: lambda c: services.case_classify(
            actor=body, case=c, category=category(), grade=grade(grade_name)
        ),
        S.INVESTIGATING: lambda c: services.case_start_investigation(
            actor=body, case=c, investigators=[cast.xx_member]
        ),
        S.DETERMINED: lambda c: services.case_determine(
            actor=body,
            case=c,
            grade=grade(grade_name),
            responsible_unit=responsible_unit,
            responsible_person="某教师",
            findings="教师迟到属实。",
        ),
        S.RECTIFYING: lambda c: services.notice_issue(
            actor=body, case=c, facts="教师迟到。", requirements="加强考勤。"
        ),
        S.VERIFYING: lambda c: _report(cast, c),
        S.RECTIFIED: lambda c: services.notice_verify(
            actor=body, notice=c.notices.last(), accept=True
        ),
        S.FEEDBACK: lambda c: services.case_give_feedback(actor=body, case=c, outcome="已整改。"),
        S.CLOSED: lambda c: services.case_rate(actor=c.reporter, case=c, satisfaction=5),
    }
    for state in ORDER[ORDER.index(case.status) + 1 : ORDER.index(to) + 1]:
        steps[state](Case.objects.get(pk=case.pk))
    return Case.objects.get(pk=case.pk)


def _report(cast, case):
    notice: Notice = case.notices.last()
    services.notice_confirm_receipt(actor=cast.software_lead, notice=notice)
    services.notice_submit_report(actor=cast.software_lead, notice=notice, text="已整改完毕。")
