"""What the case page and its step forms show: what a step judges, what earlier steps recorded,
every time limit until the case closes, and the rating the reporter is asked for."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.forms import classified_categories
from cases.models import Case
from cases.models import Status as S
from engine import tasks
from engine.attachments import attachments_for
from engine.models import Notification

from .factories import advance, body_of, file_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _report_with_pdf(cast, case):
    notice = case.notices.get()
    services.notice_confirm_receipt(actor=cast.software_lead, notice=notice)
    services.notice_submit_report(
        actor=cast.software_lead,
        notice=notice,
        text="已整改完毕，附整改报告。",
        uploads=[SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf")],
    )
    return notice


def test_the_rectification_report_pdf_is_on_the_case_page_and_the_verify_form(cast, login):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFYING)
    notice = _report_with_pdf(cast, case)
    client = login(body_of(cast, case))
    (pdf,) = attachments_for(notice.reports.get())
    download = reverse("engine:attachment_download", args=[pdf.pk])

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    verify = client.get(reverse("cases:notice_action", args=[notice.pk, "verify"]))

    assert verify.status_code == 200
    for html in (page, verify.content.decode()):
        assert f'href="{download}"' in html and "整改报告.pdf" in html
        assert "已整改完毕，附整改报告。" in html
    assert client.get(download).status_code == 200


def test_the_notice_starts_from_the_findings(cast, login):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.DETERMINED)

    response = login(body_of(cast, case)).get(
        reverse("cases:action", args=[case.pk, "issue_notice"])
    )

    assert response.context["form"]["facts"].value() == "教师迟到属实。"
    assert "教师迟到属实。</textarea>" in response.content.decode()


def test_time_limits_stay_on_the_page_until_the_case_closes(cast, login):
    case = file_case(cast.student, cast.units.rj)
    client = login(body_of(cast, case))
    url = reverse("cases:detail", args=[case.pk])
    assert "案件受理" in client.get(url).content.decode()

    case = advance(cast, case, S.ACCEPTED)
    page = client.get(url).content.decode()
    assert "案件受理" in page and "已于" in page  # met, and still shown

    case = advance(cast, case, S.RECTIFYING)
    page = client.get(url).content.decode()
    assert "整改通知书" in page and "剩余" in page

    advance(cast, case, S.CLOSED)
    assert "案件受理" not in client.get(url).content.decode()


def test_the_outcome_and_the_request_to_rate_read_as_one_text_in_the_bell_list(
    cast, login, django_capture_on_commit_callbacks
):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFIED)
    with django_capture_on_commit_callbacks(execute=True):
        # the handler's outcome written without a full stop
        response = login(body_of(cast, case)).post(
            reverse("cases:action", args=[case.pk, "feedback"]), {"outcome": "已启用排考冲突检测"}
        )
    assert response.status_code == 302
    tasks.deliver_pending()
    told = Notification.objects.get(recipient=cast.student, kind="case.feedback")
    # mail and chat need the link; the bell list links the case itself
    assert told.body.endswith(
        f"请对处理情况进行满意度评价：http://127.0.0.1:8000{case.get_absolute_url()}"
    )
    page = login(cast.student).get(reverse("engine:notification_list")).content.decode()
    assert "已启用排考冲突检测。请对处理情况进行满意度评价。</p>" in page
    assert "127.0.0.1:8000" not in page


def test_the_reporter_rates_on_the_case_page_the_notification_links_to(
    cast, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    told = Notification.objects.get(recipient=cast.student, kind="case.feedback")
    client = login(cast.student)
    followed = client.post(
        reverse("engine:notification_read", args=[told.pk]), {"follow": "1"}, follow=True
    )

    page = followed.content.decode()
    form_action = reverse("cases:action", args=[case.pk, "rate"])
    assert f'action="{form_action}"' in page and 'name="satisfaction"' in page
    # nobody else is offered the reporter's rating
    other = login(body_of(cast, case)).get(case.get_absolute_url()).content.decode()
    assert 'name="satisfaction"' not in other

    client = login(cast.student)
    client.post(form_action, {"satisfaction": "4", "comment": "处理及时"})
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.CLOSED and case.satisfaction == 4
    assert 'name="satisfaction"' not in client.get(case.get_absolute_url()).content.decode()


def test_categories_are_listed_in_catalogue_order():
    listed = list(classified_categories())
    keys = [(c.parent.order, c.parent_id, c.order) for c in listed]
    assert keys == sorted(keys)
    assert [c.parent_id for c in listed] == sorted(
        [c.parent_id for c in listed], key=[c.parent_id for c in listed].index
    )


def test_a_step_handed_on_is_a_line_of_the_history(
    cast, client, django_capture_on_commit_callbacks
):
    """转办 is done by staff to staff: both are named, with the reason, in its place among the
    steps; the hidden reporter's name stays off the page."""
    from cases.flows import CaseFlow
    from engine import holders

    case = file_case(cast.teacher, cast.units.rj, reporter_hidden=True)
    task = holders.open_tasks(case)[0]
    client.force_login(cast.xx_leader)
    handed = client.post(
        reverse("engine:task_reassign", args=[task.pk]),
        {"to_user": cast.xx_member.pk, "reason": "刘伟出差，由黄丽受理"},
    )
    assert handed.status_code == 302
    client.force_login(cast.xx_member)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(CaseFlow.instance.task_url(task), {}).status_code == 302
    page = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    history = page.split("<h2>办理记录</h2>", 1)[1].split("</ol>", 1)[0]
    lines = history.split("<li>")[1:]
    assert len(lines) == 2, history
    handed_line = (
        f"{cast.xx_leader} · 转办 · 将“{task.title}”转交{cast.xx_member}办理：刘伟出差，由黄丽受理"
    )
    assert handed_line in lines[0]
    assert f"{cast.xx_member} · 已受理" in lines[1]
    assert cast.teacher.full_name not in page


def _said(response):
    return [str(m) for m in response.context["messages"]]


def test_each_step_says_what_was_done(cast, login, django_capture_on_commit_callbacks):
    """Not a bare 操作完成: the message names the step and the case (or notice), from the task
    page, the case's action pages and a notice's."""
    from cases.flows import CaseFlow
    from cases.views import CASE_ACTIONS, DONE, NOTICE_ACTIONS
    from engine import holders

    assert set(DONE) == set(CASE_ACTIONS) | set(NOTICE_ACTIONS)
    case = file_case(cast.student, cast.units.rj)
    client = login(cast.xx_leader)
    task = holders.open_tasks(case)[0]
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(CaseFlow.instance.task_url(task), {}, follow=True)
    assert _said(accepted) == [f"已受理案件 {case.number}。"]

    other = file_case(cast.student, cast.units.rj, title="实训室设备陈旧")
    moved = client.post(
        reverse("cases:action", args=[other.pk, "transfer"]),
        {"to_unit": cast.units.jd.pk, "reason": "属机电工程系管理"},
        follow=True,
    )
    # the case is the other department's now: the leader lands on the to-do list, told once
    assert _said(moved) == [
        f"案件 {other.number} 已移交至{cast.units.jd}。",
        "您的页面中不再显示该案件。",
    ]

    rectifying = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFYING)
    notice = _report_with_pdf(cast, rectifying)
    client = login(body_of(cast, rectifying))
    returned = client.post(
        reverse("cases:notice_action", args=[notice.pk, "verify"]),
        {"verdict": "return", "reason": "缺少整改前后对比材料"},
        follow=True,
    )
    assert _said(returned) == [f"通知书 {notice.number} 的整改报告已退回重新整改。"]


def test_a_transfer_offers_the_other_bodies_not_the_one_that_has_the_case(cast, login):
    """移交 hands a case to another body: the picker leaves out the department that has it (and
    the quality office's picker leaves out the quality office); posting it anyway is refused."""
    case = file_case(cast.student, cast.units.rj)
    url = reverse("cases:action", args=[case.pk, "transfer"])
    leader = login(cast.xx_leader)
    offered = list(leader.get(url).context["form"].fields["to_unit"].queryset)
    assert cast.units.xx not in offered
    assert cast.units.jd in offered and cast.units.zgb in offered
    refused = leader.post(url, {"to_unit": cast.units.xx.pk, "reason": "试"})
    assert refused.status_code == 200 and refused.context["form"].errors["to_unit"]
    leader.post(url, {"to_unit": cast.units.zgb.pk, "reason": "涉及多个部门"})
    case.refresh_from_db()
    assert case.accepting_unit == cast.units.zgb
    offered = list(login(cast.quality_officer).get(url).context["form"].fields["to_unit"].queryset)
    assert cast.units.zgb not in offered and cast.units.xx in offered


def test_the_grade_a_supervisor_suggests_is_read_by_whoever_grades(cast, login):
    """The incident report form asks for a suggested grade (建议等级); it routed the case and was
    shown nowhere, so the body grading it never read what the supervisor suggested."""
    from .factories import grade

    client = login(cast.supervisor)
    response = client.post(
        reverse("cases:file", args=["report"]),
        {
            "idempotency_key": "5b1d7f0e-8a43-4c1e-9a57-5d0d2f7e6c11",
            "title": "期末考试监考教师缺席",
            "subject_unit": cast.units.jdyt.pk,
            "source": Case.Source.INSPECTION,
            "description": "开考15分钟监考教师仍未到场。",
            "suggested_grade": grade("严重").pk,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and case.suggested_grade == grade("严重")
    # graded once accepted: the form of a step the case is not at leads back to the case
    services.case_accept(actor=body_of(cast, case), case=case)
    body = login(body_of(cast, case))
    for url in (
        case.get_absolute_url(),
        reverse("cases:action", args=[case.pk, "classify"]),
    ):
        page = body.get(url).content.decode()
        assert "<th>建议等级</th><td>严重</td>" in page, url


def test_the_investigator_picker_offers_staff_not_the_system_administrator(cast, login):
    """The system administrator maintains the system; investigating a case is staff work (a
    teacher, a department's people, the quality office), held through such a role."""
    from cases.forms import investigator_choices

    case = advance(cast, file_case(cast.student, cast.units.rj), S.CLASSIFIED)
    form = login(body_of(cast, case)).get(reverse("cases:action", args=[case.pk, "investigate"]))
    offered = list(form.context["form"].fields["investigators"].queryset)
    assert cast.sysadmin not in offered and cast.sysadmin not in investigator_choices()
    assert cast.xx_member in offered and cast.teacher in offered


def test_a_supervision_notice_time_limit_is_named_after_it(cast, login):
    """A 督办通知书 runs under the rule of 整改通知书; its row of time limits said 整改通知书."""
    from cases.models import Notice

    case = advance(cast, file_case(cast.student, cast.units.rj), S.DETERMINED)
    services.notice_issue(
        actor=body_of(cast, case),
        case=case,
        facts="多次迟到。",
        requirements="限期整改。",
        kind=Notice.Kind.SUPERVISION,
    )
    page = login(body_of(cast, case)).get(reverse("cases:detail", args=[case.pk]))
    rows = [row["label"] for row in page.context["deadline_rows"]]
    assert "督办通知书" in rows and "整改通知书" not in rows


def test_the_body_closes_a_case_only_after_the_complainant_could_rate_it(cast, login, settings):
    """After the feedback the complainant has CASES_RATING_DAYS working days to rate the
    answer; the accepting body closing it at once took the rating away (a bad mark avoided)."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    settings.CASES_RATING_DAYS = 5
    case = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    body = login(body_of(cast, case))
    page = body.get(reverse("cases:detail", args=[case.pk]))
    assert "评价期" in [row["label"] for row in page.context["deadline_rows"]]
    refused = body.post(reverse("cases:action", args=[case.pk, "close"]))
    assert refused.status_code == 200
    assert "投诉人可在" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.FEEDBACK
    # the rating is the student's step, on their to-do list
    student = login(cast.student)
    assert case.number in student.get(reverse("cases:inbox")).content.decode()
    with freeze_time(timezone.now() + timedelta(days=10)):
        body = login(body_of(cast, case))
        closed = body.post(reverse("cases:action", args=[case.pk, "close"]))
        assert closed.status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.CLOSED


def test_the_complainant_rating_ends_the_rating_period(cast, login, settings):
    settings.CASES_RATING_DAYS = 5
    case = advance(cast, file_case(cast.student, cast.units.rj), S.CLOSED)  # rated by the student
    from engine.models import Deadline

    assert not Deadline.objects.filter(
        kind="case.rating", object_id=str(case.pk), status=Deadline.Status.OPEN
    ).exists()


def test_the_reporters_rating_is_not_handed_on(cast, client):
    """The complainant's 评价 step is theirs: the accepting body's leader is offered no 转办 on
    it and a posted one is refused, so it stays in the complainant's to-do list."""
    from engine import holders

    case = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    task = holders.open_tasks(case)[0]
    assert task.owner == cast.student
    client.force_login(cast.xx_leader)
    page = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert reverse("engine:task_reassign", args=[task.pk]) not in page
    handed = client.post(
        reverse("engine:task_reassign", args=[task.pk]),
        {"to_user": cast.xx_member.pk, "reason": "代为评价"},
        follow=True,
    )
    assert handed.redirect_chain[-1][0] == reverse("engine:inbox")
    # it says why: the step is the person's own, not a unit the leader does not lead
    said = [str(m) for m in handed.context["messages"]]
    assert said == ["此步骤须由本人办理，不能转办。"]
    task.refresh_from_db()
    assert task.owner == cast.student
    client.force_login(cast.student)
    assert case.title in client.get(reverse("engine:inbox")).content.decode()


def test_the_body_is_offered_no_close_during_the_rating_period(cast, login, settings):
    """The 办结 button only ever refused during the 评价期: the page says until when instead,
    and offers it once the period is over."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    settings.CASES_RATING_DAYS = 5
    case = advance(cast, file_case(cast.student, cast.units.rj), S.FEEDBACK)
    close = reverse("cases:action", args=[case.pk, "close"])
    body = login(body_of(cast, case))
    page = body.get(case.get_absolute_url()).content.decode()
    assert close not in page
    assert "投诉人可在" in page.split('class="card actions"', 1)[1].split("</div>", 1)[0]
    with freeze_time(timezone.now() + timedelta(days=10)):
        body = login(body_of(cast, case))
        page = body.get(case.get_absolute_url()).content.decode()
        assert close in page and "投诉人可在" not in page
