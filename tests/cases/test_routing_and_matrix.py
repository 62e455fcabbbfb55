from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import routing, services
from cases.models import Case, MatrixCell, RoutingRule
from cases.models import Status as S
from engine import calendar
from engine.models import Deadline

from .factories import advance, category, file_case, grade

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def test_routing_sends_each_case_to_its_body(cast):
    u = cast.units
    assert routing.route(u.rj_python) == u.xx
    assert routing.route(u.jdyt) == u.jd
    assert routing.route(u.jwc) == u.zgb  # functional office
    assert routing.route(u.rj, [u.jdyt]) == u.zgb  # several departments
    assert routing.route(u.rj, [u.wl]) == u.xx  # one department
    assert routing.route(u.rj, grade=grade("较重")) == u.xx
    assert routing.route(u.rj, grade=grade("严重")) == u.zgb  # at or above the configured grade


def test_routing_rules_are_data(cast):
    u = cast.units
    RoutingRule.objects.filter(min_grade__isnull=False).update(min_grade=grade("较重"))
    assert routing.route(u.rj, grade=grade("较重")) == u.zgb
    RoutingRule.objects.create(order=1, name="全部由学院受理", target="college")
    assert routing.route(u.rj_python) == u.zgb


def test_department_grading_severe_hands_the_case_to_the_college(cast):
    case = file_case(cast.teacher, cast.units.rj)
    assert case.accepting_unit == cast.units.xx
    case = advance(cast, case, S.ACCEPTED)
    case = services.case_classify(
        actor=cast.xx_leader, case=case, category=category(), grade=grade("严重")
    )
    assert case.accepting_unit == cast.units.zgb and case.needs_committee


def test_the_department_grading_severe_lands_on_its_to_do_list_told_where_the_case_went(
    cast, login
):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.ACCEPTED)
    client = login(cast.xx_leader)
    response = client.post(
        reverse("cases:action", args=[case.pk, "classify"]),
        {"category": category().pk, "grade": grade("严重").pk},
        follow=True,
    )
    # not the case's page: it is the quality office's now, and a 404 for the department
    assert response.redirect_chain[-1][0] == reverse("engine:inbox")
    page = response.content.decode()
    assert f"已完成案件 {case.number} 的分类分等。" in page
    assert f"案件 {case.number} 现由质量管理办公室办理" in page


def test_deadlines_come_from_the_matrix(cast):
    cell = MatrixCell.objects.get(category=category(), grade=grade("一般"))
    cell.investigation_days, cell.rectification_days = 4, 7
    cell.save()
    case = file_case(cast.teacher, cast.units.rj, category=category())
    acceptance = Deadline.objects.get(kind="case.acceptance", object_id=str(case.pk))
    assert acceptance.due_at == calendar.add_working_days(case.created_at, cell.acceptance_days)
    case = advance(cast, case, S.INVESTIGATING)
    investigation = Deadline.objects.get(kind="case.investigation", object_id=str(case.pk))
    assert investigation.due_at == calendar.add_working_days(investigation.started_at, 4)
    assert Deadline.objects.get(pk=acceptance.pk).status == Deadline.Status.DONE
    case = advance(cast, case, S.RECTIFYING)
    notice = case.notices.get()
    rectification = Deadline.objects.get(kind="notice.rectification", object_id=str(notice.pk))
    assert rectification.due_at == calendar.add_working_days(rectification.started_at, 7)
    assert notice.due_at == rectification.due_at


def test_changing_the_matrix_does_not_rewrite_cases(cast):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.CLOSED)
    MatrixCell.objects.filter(category=category(), grade=grade("一般")).update(
        rectification_days=99, approver="committee"
    )
    case.refresh_from_db()
    assert case.rules["rectification_days"] == 15 and not case.needs_committee


def test_grade_not_in_the_matrix_is_refused(cast):
    from django.core.exceptions import ValidationError

    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.ACCEPTED)
    MatrixCell.objects.filter(category=category(), grade=grade("较重")).delete()
    with pytest.raises(ValidationError):
        services.case_classify(
            actor=cast.xx_leader, case=case, category=category(), grade=grade("较重")
        )
    assert Case.objects.get(pk=case.pk).status == S.ACCEPTED


def test_notice_deadline_in_the_past_is_refused(cast):
    from django.core.exceptions import ValidationError

    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.DETERMINED)
    with pytest.raises(ValidationError):
        services.notice_issue(
            actor=cast.xx_leader,
            case=case,
            facts="f",
            requirements="r",
            due_at=timezone.now() - timedelta(days=1),
        )
    assert not case.notices.exists()


def test_notice_numbers_per_issuer_per_year(cast):
    college = advance(cast, file_case(cast.student, cast.units.jwc), S.ACCEPTED)
    college = advance(cast, college, S.RECTIFYING, responsible_unit=cast.units.jwc)
    dept = advance(cast, file_case(cast.teacher, cast.units.rj), S.RECTIFYING)
    second = services.notice_issue(
        actor=cast.quality_officer, case=college, facts="f", requirements="r"
    )
    year = timezone.localdate().year
    assert college.notices.first().number == f"质管督〔{year}〕1号"
    assert second.number == f"质管督〔{year}〕2号"
    assert dept.notices.get().number == f"信息质督〔{year}〕1号"


def test_several_notices_close_only_when_all_are_accepted(cast):
    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.RECTIFYING)
    second = services.notice_issue(actor=cast.xx_leader, case=case, facts="f", requirements="r2")
    first = case.notices.first()
    for notice in (first, second):
        services.notice_confirm_receipt(actor=cast.software_lead, notice=notice)
        services.notice_submit_report(actor=cast.software_lead, notice=notice, text="done")
    services.notice_verify(actor=cast.xx_leader, notice=first, accept=True)
    assert Case.objects.get(pk=case.pk).status == S.VERIFYING  # the second still waits
    services.notice_verify(actor=cast.xx_leader, notice=second, accept=True)
    assert Case.objects.get(pk=case.pk).status == S.RECTIFIED


def test_raise_from_warning_is_idempotent_and_routed(cast):
    first = services.case_raise_from_warning(
        actor=None,
        warning_title="课堂教学满意度低于预警线",
        unit=cast.units.rj,
        indicator="课堂教学满意度",
        source_key="42",
    )
    again = services.case_raise_from_warning(
        actor=None, warning_title="课堂教学满意度低于预警线", unit=cast.units.rj, source_key="42"
    )
    assert first.pk == again.pk and first.kind == Case.Kind.WARNING
    assert first.accepting_unit == cast.units.xx and first.reporter is None
    assert "课堂教学满意度" in first.description
    inspection = services.case_raise_from_self_inspection(
        actor=cast.software_lead, title="实训记录缺失", unit=cast.units.rj, source_key="s1"
    )
    assert (
        inspection.kind == Case.Kind.SELF_INSPECTION and inspection.reporter == cast.software_lead
    )


def test_raise_needs_the_capability(cast):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.case_raise_from_self_inspection(actor=cast.student, title="x", unit=cast.units.rj)
    assert not Case.objects.exists()


def test_overdue_notice_is_marked_when_the_engine_escalates_it(cast):
    """The engine's ladder step sends deadline_escalated; the notice shows as escalated."""
    from freezegun import freeze_time

    from cases.selectors import CaseFilter, case_list
    from engine import signals

    case = advance(cast, file_case(cast.teacher, cast.units.rj), S.RECTIFYING)
    notice = case.notices.get()
    deadline = Deadline.objects.get(kind="notice.rectification", object_id=str(notice.pk))
    signals.deadline_escalated.send(sender=Deadline, deadline=deadline, level=1)
    notice.refresh_from_db()
    assert not notice.escalated  # a reminder is not an escalation
    signals.deadline_escalated.send(sender=Deadline, deadline=deadline, level=2)
    notice.refresh_from_db()
    assert notice.escalated
    with freeze_time(notice.due_at + timedelta(days=20)):
        assert list(case_list(cast.quality_officer, CaseFilter(overdue=True))) == [case]
    assert list(case_list(cast.quality_officer, CaseFilter(overdue=True))) == []


def test_discipline_office_opens_an_anonymous_case_from_a_report(cast):
    from cases.confidential import hooks

    case = hooks.open_quality_case(
        actor=cast.discipline_officer,
        title="实训经费使用不规范",
        description="经核实…",
        org_unit=None,
    )
    assert case.reporter is None and case.kind == Case.Kind.COMPLAINT
    assert case.accepting_unit == cast.units.zgb
    from django.utils import translation

    from cases.access import reporter_display

    with translation.override("en"):
        assert reporter_display(cast.quality_officer, case) == "Anonymous"
