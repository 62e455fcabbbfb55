"""Separation of duties on a case, walked through the pages as the cast: nobody verifies their
own rectification, a department that rectifies itself is verified one level up (the quality
office, and the page says why), and the investigator picker leaves out the person the case is
about and the reporter, showing everyone's unit."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from cases import forms
from cases.models import Case, Notice
from cases.models import Status as S
from engine import duties
from engine.models import DutyRule

from .factories import category, file_case, grade

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue", "duty_rules")]


@pytest.fixture
def duty_rules(db):
    duties.seed_defaults()


def post(client, url, data=None, status=302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def act(case, action):
    return reverse("cases:action", args=[case.pk, action])


def notice_act(notice, action):
    return reverse("cases:notice_action", args=[notice.pk, action])


@pytest.fixture
def xx_case(cast):
    """A student's complaint about 吴芳's class in 信息工程系: the department accepts it."""
    case = file_case(cast.student, cast.units.xx, teacher_name="吴芳", course="Java程序设计")
    assert case.accepting_unit == cast.units.xx
    return case


def test_the_investigator_picker_leaves_out_the_accused_and_the_reporter(cast, login, xx_case):
    client = login(cast.xx_leader)
    post(client, act(xx_case, "accept"))
    post(client, act(xx_case, "classify"), {"category": category().pk, "grade": grade().pk})
    form = client.get(act(xx_case, "investigate")).context["form"]
    offered = {str(label) for _value, label in form.fields["investigators"].choices}
    assert "黄丽（信息工程系）" in offered  # people are shown with their unit
    assert not [p for p in offered if "吴芳" in p]  # the teacher the complaint is about
    # before the rules, the picker offered her
    assert forms.investigator_choices().filter(pk=cast.teacher.pk).exists()
    # staff only: a student is never offered
    assert not forms.investigator_choices().filter(pk=cast.student.pk).exists()

    # naming the accused anyway (an old form, the API) is refused with the rule, in Chinese
    response = client.post(act(xx_case, "investigate"), {"investigators": [cast.teacher.pk]})
    assert response.status_code == 200
    assert Case.objects.get(pk=xx_case.pk).status == S.CLASSIFIED
    api = client.post(
        f"/api/v1/cases/{xx_case.pk}/investigate/",
        {"investigators": [cast.teacher.pk]},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "被投诉（涉事）人员不得调查本案" in api.content.decode()
    post(client, act(xx_case, "investigate"), {"investigators": [cast.xx_member.pk]})
    assert list(Case.objects.get(pk=xx_case.pk).investigators.all()) == [cast.xx_member]


def _walk_to_reported(cast, login, case):
    """xx_leader does everything his roles allow: accepts, assigns, determines his own
    department responsible, issues the notice, confirms it and reports the rectification."""
    leader = login(cast.xx_leader)
    post(leader, act(case, "accept"))
    post(leader, act(case, "classify"), {"category": category().pk, "grade": grade().pk})
    post(leader, act(case, "investigate"), {"investigators": [cast.xx_member.pk]})
    post(
        leader,
        act(case, "determine"),
        {
            "grade": grade().pk,
            "responsible_unit": cast.units.xx.pk,
            "responsible_person": "吴芳",
            "findings": "教师迟到二十分钟属实。",
        },
    )
    post(
        leader,
        act(case, "issue_notice"),
        {"kind": Notice.Kind.RECTIFICATION, "facts": "教师迟到。", "requirements": "加强考勤。"},
    )
    notice = Notice.objects.get(case=case)
    post(leader, notice_act(notice, "receipt"))
    post(leader, notice_act(notice, "rectification_report"), {"text": "已约谈，已整改。"})
    assert Case.objects.get(pk=case.pk).status == S.VERIFYING
    return notice


def test_nobody_verifies_their_own_rectification_and_it_goes_up(cast, login, client, xx_case):
    notice = _walk_to_reported(cast, login, xx_case)

    # the reporter of the rectification: refused, and told which rule and who acts instead
    client.force_login(cast.xx_leader)
    refused = client.get(notice_act(notice, "verify"))
    assert refused.status_code == 403
    assert "整改报告的提交人不得验收本人的整改" in refused.content.decode()
    page = client.get(xx_case.get_absolute_url()).content.decode()
    assert 'data-action="verify"' not in page
    assert "整改报告的提交人不得验收本人的整改" in page and "张敏" in page
    assert "<td>信息工程系 · 吴芳</td>" in page  # the responsible unit, then its person
    # one sentence after another, as Chinese writes them: no gap between them
    assert "职责分离规则不允许您办理此步骤：整改报告的提交人不得验收本人的整改。改由：" in page

    # his department colleague is refused too: the department rectified itself
    client.force_login(cast.xx_member)
    refused = client.get(notice_act(notice, "verify"))
    assert refused.status_code == 403
    assert "整改单位的人员不得验收本单位的整改" in refused.content.decode()

    # so the step went up to the quality office: the task is in its inbox, its page says why
    client.force_login(cast.quality_officer)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert xx_case.number in inbox
    client.force_login(cast.quality_officer)
    page = client.get(xx_case.get_absolute_url()).content.decode()
    assert 'data-action="verify"' in page
    assert "质量管理办公室" in page and "整改单位的人员不得验收本单位的整改" in page
    post(client, notice_act(notice, "verify"), {"verdict": "accept", "reason": ""})
    notice.refresh_from_db()
    assert notice.status == Notice.Status.ACCEPTED
    assert notice.reports.get().verified_by == cast.quality_officer
    assert Case.objects.get(pk=xx_case.pk).status == S.RECTIFIED


def test_the_usual_verifier_still_verifies_another_units_rectification(cast, login, client):
    """A major's rectification is verified by its department as before: the rules only bite
    where the same people would check themselves."""
    case = file_case(cast.student, cast.units.xx, teacher_name="吴芳")
    leader = login(cast.xx_leader)
    post(leader, act(case, "accept"))
    post(leader, act(case, "classify"), {"category": category().pk, "grade": grade().pk})
    post(leader, act(case, "investigate"), {"investigators": [cast.xx_member.pk]})
    post(
        leader,
        act(case, "determine"),
        {
            "grade": grade().pk,
            "responsible_unit": cast.units.rj.pk,
            "responsible_person": "吴芳",
            "findings": "属实。",
        },
    )
    post(
        leader,
        act(case, "issue_notice"),
        {"kind": Notice.Kind.RECTIFICATION, "facts": "迟到。", "requirements": "整改。"},
    )
    notice = Notice.objects.get(case=case)
    client.force_login(cast.software_lead)
    post(client, notice_act(notice, "receipt"))
    post(client, notice_act(notice, "rectification_report"), {"text": "已整改。"})
    leader = login(cast.xx_leader)
    post(leader, notice_act(notice, "verify"), {"verdict": "accept", "reason": ""})
    assert Case.objects.get(pk=case.pk).status == S.RECTIFIED


def test_a_rule_switched_off_in_admin_is_audited_and_stops_refusing(cast, client, xx_case):
    rule = DutyRule.objects.get(
        process="case", earlier_step="subject", later_step="findings", kind="person"
    )
    client.force_login(cast.sysadmin)
    url = reverse("admin:engine_dutyrule_change", args=[rule.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "process": "case",
            "earlier_step": "subject",
            "later_step": "findings",
            "kind": "person",
            "description": rule.description,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.is_active is False
    entry = AuditEntry.objects.get(action="duty_rule.change")
    assert entry.before["is_active"] is True and entry.after["is_active"] is False
    assert entry.actor == cast.sysadmin
    # a step that does not belong to the process is refused by the form
    bad = client.post(
        url,
        {
            "process": "case",
            "earlier_step": "author",
            "later_step": "findings",
            "kind": "person",
            "description": "x",
        },
    )
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
