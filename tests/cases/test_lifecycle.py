"""The whole lifecycle as each actor clicks it, through the pages."""

import uuid

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.models import AuditEntry
from cases.models import Case, Notice
from cases.models import Status as S
from engine.models import Deadline, Notification

from .factories import category, grade, unit_head

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def act(client, case, action, data=None):
    return client.post(reverse("cases:action", args=[case.pk, action]), data or {})


def notice_act(client, notice, action, data=None):
    return client.post(reverse("cases:notice_action", args=[notice.pk, action]), data or {})


def status(case):
    return Case.objects.get(pk=case.pk).status


def test_college_case_from_complaint_to_closure(cast, client):
    u = cast.units
    jwc_head = unit_head(u.jwc)
    token = str(uuid.uuid4())
    form = {
        "idempotency_key": token,
        "title": "期末考试安排冲突",
        "subject_unit": u.jwc.pk,
        "category": category("考试").pk,
        "description": "两门考试安排在同一时间。",
        "reporter_hidden": "on",
    }
    client.force_login(cast.student)
    first = client.post(reverse("cases:file", args=["complaint"]), form)
    second = client.post(reverse("cases:file", args=["complaint"]), form)  # double click
    assert first.status_code == second.status_code == 302
    case = Case.objects.get()
    assert case.accepting_unit == u.zgb  # a functional office: the college accepts
    assert case.number.startswith("ZL-") and case.reporter == cast.student

    # the quality office accepts, classifies as severe and assigns an investigator
    client.force_login(cast.quality_officer)
    assert act(client, case, "accept").status_code == 302
    act(client, case, "classify", {"category": category("考试").pk, "grade": grade("严重").pk})
    case.refresh_from_db()
    assert case.status == S.CLASSIFIED and case.needs_committee
    act(client, case, "investigate", {"investigators": [cast.xx_member.pk]})
    assert status(case) == S.INVESTIGATING
    assert Notification.objects.filter(recipient=cast.xx_member, kind="case.assigned").exists()

    # the investigator records findings; the office determines; the committee sends it back
    client.force_login(cast.xx_member)
    assert client.get(reverse("cases:inbox")).context["page"].object_list[0] == case
    act(
        client,
        case,
        "findings",
        {"findings": "排考系统冲突检测未启用。", "responsible_unit": u.jwc.pk},
    )
    client.force_login(cast.quality_officer)
    determination = {
        "grade": grade("严重").pk,
        "responsible_unit": u.jwc.pk,
        "responsible_person": "教务处考务科",
        "findings": "排考系统冲突检测未启用。",
    }
    act(client, case, "determine", determination)
    assert status(case) == S.AWAITING_APPROVAL
    client.force_login(cast.committee_member)
    response = act(client, case, "approve", {"decision": "send_back", "comment": ""})
    assert response.status_code == 200 and "comment" in response.context["form"].errors
    # the committee decides by a majority of its two members: one of them sending it back
    # leaves the approval out of reach, so the round is decided at once
    act(client, case, "approve", {"decision": "send_back", "comment": "请补充访谈记录。"})
    assert status(case) == S.INVESTIGATING
    client.force_login(cast.quality_officer)
    act(client, case, "determine", determination)
    client.force_login(cast.chair)
    act(client, case, "approve", {"decision": "approve"})
    assert status(case) == S.AWAITING_APPROVAL  # 1 of the 2 votes needed
    client.force_login(cast.committee_member)
    act(client, case, "approve", {"decision": "approve"})
    assert status(case) == S.DETERMINED

    # the notice: numbered per issuer per year
    client.force_login(cast.quality_officer)
    act(
        client,
        case,
        "issue_notice",
        {"kind": "rectification", "facts": "考试冲突。", "requirements": "启用冲突检测。"},
    )
    notice = Notice.objects.get()
    assert notice.number.startswith("质管督〔") and notice.number.endswith("〕1号")
    assert Deadline.objects.filter(kind="notice.rectification", object_id=str(notice.pk)).exists()
    assert status(case) == S.RECTIFYING

    # the responsible unit confirms receipt, does not see the hidden reporter, reports
    client.force_login(jwc_head)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and cast.student.full_name not in page.content.decode()
    notice_act(client, notice, "receipt")
    for round_ in range(3):
        client.force_login(jwc_head)
        notice_act(client, notice, "rectification_report", {"text": f"第{round_ + 1}次整改报告"})
        assert status(case) == S.VERIFYING
        client.force_login(cast.quality_officer)
        if round_ < 2:  # returned for re-work twice
            notice_act(client, notice, "verify", {"verdict": "return", "reason": "佐证不足"})
            assert status(case) == S.RECTIFYING
    notice_act(client, notice, "verify", {"verdict": "accept"})
    assert status(case) == S.RECTIFIED
    assert notice.reports.filter(verdict="returned").count() == 2

    act(client, case, "feedback", {"outcome": "已启用排考冲突检测。"})
    # the student hid their identity and is told all the same (a confidential kind of message)
    assert Notification.objects.filter(recipient=cast.student, kind="case.feedback").exists()
    client.force_login(cast.student)
    assert "已启用排考冲突检测" in client.get(case.get_absolute_url()).content.decode()
    act(client, case, "rate", {"satisfaction": "4", "comment": "满意"})
    case.refresh_from_db()
    assert case.status == S.CLOSED and case.satisfaction == 4 and case.closed_at

    # every transition logged, archived read-only
    states = list(StateLog.objects.for_(case).order_by("pk").values_list("state", flat=True))
    assert states[:3] == [S.ACCEPTED, S.CLASSIFIED, S.INVESTIGATING]
    assert states.count(S.VERIFYING) == 3 and states[-1] == S.CLOSED
    assert AuditEntry.objects.filter(action="case.accept", object_id=str(case.pk)).count() == 1
    client.force_login(cast.quality_officer)
    assert act(client, case, "accept").status_code == 302
    assert status(case) == S.CLOSED
    detail = client.get(reverse("cases:detail", args=[case.pk]))
    assert [a for a in detail.context["actions"]] == ["reopen"]


def test_department_case_withdraw_and_escalation(cast, client):
    u = cast.units
    client.force_login(cast.teacher)
    client.post(
        reverse("cases:file", args=["complaint"]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "title": "实训室设备损坏",
            "subject_unit": u.rj_python.pk,
            "description": "多台电脑无法开机。",
        },
    )
    case = Case.objects.get()
    assert case.accepting_unit == u.xx
    # the other department and the responsible unit do not see it before determination
    client.force_login(cast.jd_leader)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    client.force_login(cast.xx_leader)
    act(client, case, "escalate", {"reason": "涉及全院实训室管理"})
    case.refresh_from_db()
    assert case.accepting_unit == u.zgb and case.status == S.SUBMITTED
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    client.force_login(cast.teacher)
    act(client, case, "withdraw", {"reason": "问题已解决"})
    assert status(case) == S.WITHDRAWN


def test_refusal_sends_the_reason_back_and_reopen(cast, client):
    client.force_login(cast.student)
    client.post(
        reverse("cases:file", args=["complaint"]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "title": "食堂饭菜偏咸",
            "subject_unit": cast.units.jwc.pk,
            "description": "口味问题。",
        },
    )
    case = Case.objects.get()
    client.force_login(cast.quality_officer)
    act(client, case, "refuse", {"reason": "不属于教学质量事故，请向总务处反映。"})
    assert status(case) == S.REFUSED
    message = Notification.objects.get(recipient=cast.student, kind="case.refused")
    assert "总务处" in message.body
    act(client, case, "reopen", {"reason": "学生补充了新情况"})
    case.refresh_from_db()
    assert case.status == S.ACCEPTED and case.reopen_count == 1
