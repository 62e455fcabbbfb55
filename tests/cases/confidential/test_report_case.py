"""A quality case the discipline office opens from a report, and the report's own page: the
people a report is about neither read the report nor take any step of the case (回避), the
office hears what became of the case, and the report page says where the case stands."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.confidential.models import Report
from cases.models import Case
from cases.models import Status as S
from engine.models import Notification
from tests.cases.confidential.factories import file_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue", "duty_rules")]

RECUSAL = "与本案有利害关系的人员不办理本案（回避）"


@pytest.fixture
def duty_rules(db):
    from engine import duties

    duties.seed_defaults()


def detail(report):
    return reverse("confidential:office_detail", args=[report.pk])


def act(case, action):
    return reverse("cases:action", args=[case.pk, action])


def open_case(client, report, unit):
    response = client.post(
        reverse("confidential:office_open_case", args=[report.pk]),
        {"title": "实训经费使用问题", "description": "经费使用不规范。", "org_unit": unit.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report.refresh_from_db()
    return Case.objects.get(pk=report.quality_case_id)


def test_the_accused_department_head_cannot_refuse_the_case_about_himself(cast, as_user):
    report, _code = file_report(
        cast.teacher, anonymous=False, about="信息工程系主任刘伟", subject_unit=cast.units.xx
    )
    office = as_user(cast.discipline_officer)
    page = office.get(detail(report)).content.decode()
    # the office sees whom the report names, and the case form says they stay out of it
    assert "刘伟（xx_leader）" in page
    form = office.get(reverse("confidential:office_open_case", args=[report.pk])).content.decode()
    assert "以下被举报人不参与办理该案件（回避）：刘伟" in form
    case = open_case(office, report, cast.units.xx)

    # his department does not accept a case about its own head: the quality office does
    assert case.accepting_unit.code == "zgb"
    leader = as_user(cast.xx_leader)
    assert case.number not in leader.get(reverse("cases:inbox")).content.decode()
    assert leader.get(act(case, "refuse")).status_code in (403, 404)
    leader.post(act(case, "refuse"), {"reason": "不属于受理范围"})
    assert Case.objects.get(pk=case.pk).status == S.SUBMITTED
    assert not Notification.objects.filter(kind="report.case_finished").exists()

    # the quality office refuses it: the discipline office hears of it, with numbers only
    zgb = as_user(cast.quality_officer)
    assert case.number in zgb.get(reverse("cases:inbox")).content.decode()
    # nor does a transfer hand it to his department: not offered, and refused if posted
    offered = zgb.get(act(case, "transfer")).context["form"].fields["to_unit"].queryset
    assert cast.units.xx not in offered and cast.units.jd in offered
    refused = zgb.post(act(case, "transfer"), {"to_unit": cast.units.xx.pk, "reason": "属该系"})
    assert refused.status_code == 200 and refused.context["form"].errors["to_unit"]
    from cases import services as case_services

    with pytest.raises(ValidationError) as raised:  # the service too (the API, an old form)
        case_services.case_transfer(
            actor=cast.quality_officer, case=case, to_unit=cast.units.xx, reason="属该系"
        )
    assert raised.value.message_dict["to_unit"] == [f"{RECUSAL}。"]
    assert Case.objects.get(pk=case.pk).accepting_unit.code == "zgb"
    response = zgb.post(act(case, "refuse"), {"reason": "已由纪委另行处理"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Case.objects.get(pk=case.pk).status == S.REFUSED
    told = Notification.objects.get(kind="report.case_finished")
    assert told.recipient == cast.discipline_officer
    assert case.number in told.title and report.number in told.title
    assert "不予受理" in told.title and "理由：已由纪委另行处理" in told.body
    assert cast.teacher.full_name not in told.title + told.body

    # the report page links the case and says where it stands
    page = office.get(detail(report)).content.decode()
    link = f'<a href="{case.get_absolute_url()}">{case.number}</a>'
    assert f"据此举报所立质量案件：{link} · 不予受理" in page
    # the case itself still names no reporter
    case_page = office.get(case.get_absolute_url()).content.decode()
    assert cast.teacher.full_name not in case_page and report.number not in case_page
    # its type says where it came from
    assert "<td>投诉 · 纪委移交</td>" in case_page


def test_an_accused_teacher_takes_no_step_of_the_case_nor_is_handed_one(cast, as_user):
    """The report names 赵磊, a teacher of 软件技术: 信息工程系 still accepts the case (he is not
    its accepting body), but he is neither offered as investigator nor handed a step (转办),
    and a crafted post is refused with a text that does not say why."""
    from tests.cases.factories import category, grade

    report, _code = file_report(about="软件技术专业赵磊", subject_unit=cast.units.rj)
    office = as_user(cast.discipline_officer)
    case = open_case(office, report, cast.units.rj)
    assert case.accepting_unit == cast.units.xx
    leader = as_user(cast.xx_leader)
    assert leader.post(act(case, "accept")).status_code == 302

    from engine import holders, services

    task = holders.open_tasks(Case.objects.get(pk=case.pk))[0]
    reassign = reverse("engine:task_reassign", args=[task.pk])
    offered = leader.get(reassign).context["form"].fields["to_user"].queryset
    assert cast.software_lead not in offered and cast.xx_member in offered
    refused = leader.post(reassign, {"to_user": cast.software_lead.pk, "reason": "请赵磊办理"})
    assert refused.status_code == 200 and refused.context["form"].errors["to_user"]
    # the service refuses it too (an old form, the API), without saying why
    with pytest.raises(ValidationError) as raised:
        services.task_reassign(
            actor=cast.xx_leader, task=task, to_user=cast.software_lead, reason="试"
        )
    assert raised.value.message_dict["to_user"] == [f"赵磊不得办理此步骤：{RECUSAL}。"]

    leader.post(act(case, "classify"), {"category": category().pk, "grade": grade().pk})
    form = leader.get(act(case, "investigate")).context["form"]
    assert cast.software_lead not in form.fields["investigators"].queryset


def test_a_report_is_not_shared_with_the_person_it_accuses(cast, as_user):
    report, _code = file_report(about="信息工程系主任刘伟")
    office = as_user(cast.discipline_officer)
    share = reverse("confidential:office_share", args=[report.pk])
    refused = office.post(share, {"username": "xx_leader"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "本举报反映的正是此人，不能请其阅处。" in html
    assert 'value="xx_leader"' in html  # what was typed stays in the input
    api = office.post(
        reverse("api:report-share", args=[report.pk]),
        {"username": "xx_leader"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "不能请其阅处" in api.content.decode()
    assert as_user(cast.xx_leader).get(detail(report)).status_code == 404

    # whoever has access is listed, each with a button that takes it away
    assert office.post(share, {"username": cast.committee_member.username}).status_code == 302
    page = office.get(detail(report)).content.decode()
    assert "李华（committee）" in page
    assert f'name="remove_person" value="{cast.committee_member.pk}"' in page
    member = as_user(cast.committee_member)
    assert member.get(detail(report)).status_code == 200
    office.post(share, {"remove_person": cast.committee_member.pk})
    assert member.get(detail(report)).status_code == 404
    assert "李华（committee）" not in office.get(detail(report)).content.decode()


def test_the_office_names_whom_the_report_is_about_and_that_ends_their_access(cast, as_user):
    report, _code = file_report(about="某系领导")
    assert not report.accused.exists()
    office = as_user(cast.discipline_officer)
    share = reverse("confidential:office_share", args=[report.pk])
    office.post(share, {"username": "xx_member"})
    member = as_user(cast.xx_member)
    assert member.get(detail(report)).status_code == 200
    accused = reverse("confidential:office_accused", args=[report.pk])
    assert office.post(accused, {"username": "xx_member"}).status_code == 302
    assert list(Report.objects.get(pk=report.pk).accused.all()) == [cast.xx_member]
    assert member.get(detail(report)).status_code == 404
    office.post(accused, {"remove_person": cast.xx_member.pk})
    assert not Report.objects.get(pk=report.pk).accused.exists()


def test_the_report_page_names_each_step_ahead_once_and_labels_the_handling(cast, as_user):
    report, _code = file_report()
    office = as_user(cast.discipline_officer)
    page = office.get(detail(report)).content.decode()
    assert len(re.findall("答复举报人", page)) == 1
    for action, text in [
        ("start_check", ""),
        ("file_case", ""),
        ("investigate", ""),
        ("conclude", "属实"),
        ("handle", "责令整改"),
    ]:
        office.post(
            reverse("confidential:office_advance", args=[report.pk]),
            {"action": action, "text": text},
        )
    page = office.get(detail(report)).content.decode()
    assert "<strong>处理意见：</strong>责令整改" in page


def test_the_accused_does_not_sign_for_his_units_rectification_notice(cast, as_user):
    """赵磊 leads 软件技术, the unit found responsible: the notice's receipt is usually his, but
    not on a case about himself, which he does not see at all."""
    from tests.cases.factories import advance

    report, _code = file_report(about="软件技术专业赵磊", subject_unit=cast.units.rj)
    case = open_case(as_user(cast.discipline_officer), report, cast.units.rj)
    case = advance(cast, case, S.RECTIFYING, responsible_unit=cast.units.rj)
    notice = case.notices.get()
    lead = as_user(cast.software_lead)
    # he does not follow the case about himself at all: neither its notice nor its page
    assert lead.get(reverse("cases:notice_action", args=[notice.pk, "receipt"])).status_code == 404
    assert lead.get(case.get_absolute_url()).status_code == 404


def test_the_office_hears_when_the_case_it_opened_is_closed(cast, as_user):
    from tests.cases.factories import advance

    report, _code = file_report(about="软件技术专业教师吴芳", subject_unit=cast.units.rj)
    office = as_user(cast.discipline_officer)
    case = advance(cast, open_case(office, report, cast.units.rj), S.FEEDBACK)
    assert not Notification.objects.filter(kind="report.case_finished").exists()
    leader = as_user(cast.xx_leader)
    assert leader.post(act(case, "close")).status_code == 302
    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    told = Notification.objects.get(kind="report.case_finished", recipient=cast.discipline_officer)
    assert told.title == f"案件{case.number}（举报{report.number}）：已办结"
    assert f"{case.number}</a> · 已办结" in office.get(detail(report)).content.decode()


def test_the_accused_does_not_find_the_case_in_any_list(cast, as_user):
    """张敏 of the quality office reads every ordinary case; a case about her, opened from a
    report, is not in her case list, the API's, or the dashboard's counts, while the department
    that accepts it lists it."""
    report, _code = file_report(about="质量管理办公室张敏", subject_unit=cast.units.xx)
    office = as_user(cast.discipline_officer)
    report.accused.add(cast.quality_officer)
    case = open_case(office, report, cast.units.xx)
    assert case.recused_ids == [cast.quality_officer.pk]

    leader = as_user(cast.xx_leader)
    assert case.number in leader.get(reverse("cases:list")).content.decode()
    zgb = as_user(cast.quality_officer)
    assert case.number not in zgb.get(reverse("cases:list")).content.decode()
    listed = zgb.get("/api/v1/cases/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert case.pk not in [row["id"] for row in rows]
    assert zgb.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert zgb.get(case.get_absolute_url()).status_code == 404
    # the quality office's dashboard counts every ordinary case but this one
    from cases.access import visible_cases
    from cases.models import Case as AnyCase

    figures = zgb.get(reverse("cases:dashboard")).context["figures"]
    assert figures["total"] == AnyCase.objects.filter(confidential=False).count() - 1

    assert not visible_cases(cast.quality_officer).filter(pk=case.pk).exists()
    assert visible_cases(cast.xx_leader).filter(pk=case.pk).exists()
    assert not Case.objects.filter(recused_ids__holds_id=cast.xx_leader.pk).exists()


def test_the_accused_hears_nothing_of_the_case(cast, as_user):
    """A case about 张敏 opened at the college's level is accepted by the quality office she
    works in: her colleagues are told it was filed, she is not."""
    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    colleague = UserFactory(username="zgb2", full_name="钱进")
    Membership.objects.create(user=colleague, org_unit=cast.units.zgb, role=Role.QUALITY_OFFICER)
    report, _code = file_report(about="质量管理办公室张敏")
    report.accused.add(cast.quality_officer)
    case = open_case(as_user(cast.discipline_officer), report, cast.units.college)
    told = set(Notification.objects.filter(kind="case.filed").values_list("recipient", flat=True))
    assert colleague.pk in told
    assert cast.quality_officer.pk not in told
    assert not Notification.objects.filter(recipient=cast.quality_officer).exists()
    assert case.accepting_unit.code == "zgb"
