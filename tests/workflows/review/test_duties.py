"""Separation of duties on a self-diagnosis report, walked through the pages: the team leader
who wrote and submitted the report may not approve it (the department head does, and the page
says why), and whoever approved it does not also forward it."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEntry
from engine import duties
from workflows.review.models import ReportStatus, SelfDiagnosisReport

from .factories import shipped_catalogue
from .test_pages import _row_post

pytestmark = pytest.mark.django_db


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def action(client, report, name):
    response = client.post(reverse("review:report_action", args=[report.pk, name]), follow=True)
    assert response.status_code == 200, (response.redirect_chain, response.content.decode()[-3000:])
    return response.content.decode()


def test_a_leader_never_approves_his_own_report(cast):
    duties.seed_defaults()
    author = browser(cast.software_lead)  # rj_leader writes the major's report himself
    author.post(
        reverse("review:report_list"),
        {
            "org_unit": cast.units.rj.pk,
            "catalogue": shipped_catalogue().pk,
            "period": "2026",
            "title": "软件技术专业自我诊改报告",
        },
    )
    report = SelfDiagnosisReport.objects.get()
    author.post(
        reverse("review:report_edit", args=[report.pk]), {**_row_post(report), "action": "submit"}
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # he heads 软件技术, but wrote the report: no approve button, the rule named, and refused
    page = author.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    assert reverse("review:report_action", args=[report.pk, "approve"]) not in page
    assert "自我诊改报告的撰写人不得审核本人的报告" in page
    refused = action(author, report, "approve")
    assert "自我诊改报告的撰写人不得审核本人的报告" in refused
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # the approval went up to the department head: on his list of reports waiting, and the
    # page says why
    head = browser(cast.xx_leader)
    page = head.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    assert "信息工程系" in page and "刘伟" in page
    waiting = head.get(reverse("review:report_list") + "?waiting=1").content.decode()
    assert "软件技术专业自我诊改报告" in waiting
    action(head, report, "approve")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.approved_by == cast.xx_leader

    # the approver does not forward it too; the team leader, who did not approve, may
    refused = action(head, report, "forward")
    assert "报告的审核人与报送人不得为同一人" in refused
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    action(author, report, "forward")
    report.refresh_from_db()
    assert report.status == ReportStatus.FORWARDED


def test_the_author_does_not_choose_who_reviews_his_own_report(cast):
    """The review of a report went up past its author (he may not review it); he leads the
    unit, but may not hand that review on (转办) to one of his people either: no 转办 link on the
    report's page or in his to-do list, and the 转办 itself is refused."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    duties.seed_defaults()
    author = browser(cast.software_lead)
    author.post(
        reverse("review:report_list"),
        {
            "org_unit": cast.units.rj.pk,
            "catalogue": shipped_catalogue().pk,
            "period": "2026",
            "title": "软件技术专业自我诊改报告",
        },
    )
    report = SelfDiagnosisReport.objects.get()
    author.post(
        reverse("review:report_edit", args=[report.pk]), {**_row_post(report), "action": "submit"}
    )
    review = Task.objects.get(
        process__artifact_object_id=report.pk,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )
    reassign = reverse("engine:task_reassign", args=[review.pk])
    assert (
        reassign
        not in author.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    )
    assert reassign not in author.get(reverse("engine:inbox")).content.decode()
    author.post(reassign, {"to_user": cast.software_member.pk, "reason": "请何燕审核"})
    review.refresh_from_db()
    assert review.owner_id != cast.software_member.pk
    assert not AuditEntry.objects.filter(action="task.reassign").exists()
    # 何燕 is offered no approval of it
    member = browser(cast.software_member)
    page = member.get(reverse("review:report_detail", args=[report.pk])).content.decode()
    assert reverse("review:report_action", args=[report.pk, "approve"]) not in page

    # the department head, who may review it, may still hand it on within his department
    head = browser(cast.xx_leader)
    assert reassign in head.get(reverse("review:report_detail", args=[report.pk])).content.decode()
