"""A severe grade's determination is the committee's vote (DOMAIN §4 step 3, §6): a majority of
the members entitled to vote when the round opened decides, not any one member; the mechanism is
the plans' (workflows.plans.committee). Everything through the URLs."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Role
from cases.models import Case
from cases.models import Status as S
from engine.models import Deadline, Notification
from tests.factories import MembershipFactory, UserFactory
from workflows.plans.models import CommitteeDecision, CommitteeVote

from .factories import advance, file_case, grade

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def _awaiting(cast) -> Case:
    """A case determined 严重 by the quality office: it waits for the committee."""
    case = file_case(cast.teacher, cast.units.jwc)
    case = advance(cast, case, S.INVESTIGATING, grade_name="严重")
    from cases import services

    services.case_determine(
        actor=cast.quality_officer,
        case=case,
        grade=grade("严重"),
        responsible_unit=cast.units.jwc,
        responsible_person="考务科",
        findings="排考冲突属实。",
    )
    case = Case.objects.get(pk=case.pk)
    assert case.status == S.AWAITING_APPROVAL and case.committee_round == 1
    return case


def vote(client, user, case, decision="approve", comment="", follow=False):
    client.force_login(user)
    return client.post(
        reverse("cases:action", args=[case.pk, "approve"]),
        {"decision": decision, "comment": comment},
        follow=follow,
    )


def status(case):
    return Case.objects.get(pk=case.pk).status


def third_member():
    user = UserFactory(username="wei", full_name="魏委员")
    from accounts.models import OrgUnit

    committee = OrgUnit.objects.get(kind=OrgUnit.Kind.COMMITTEE)
    MembershipFactory(user=user, org_unit=committee, role=Role.COMMITTEE_MEMBER)
    return user


def inbox_cases(client, user):
    client.force_login(user)
    rows = client.get(reverse("engine:inbox")).context["rows"]
    return [r.obj for r in rows if isinstance(r.obj, Case)]


def case_card(client, user):
    client.force_login(user)
    cards = client.get("/").context["cards"]
    return next(c.count for c in cards if c.title == "待我处理的案件")


def test_one_approval_of_two_does_not_decide_the_second_does(cast, client):
    case = _awaiting(cast)
    decision = CommitteeDecision.objects.get(object_id=case.pk, round=1)
    assert decision.threshold == 2 and decision.electorate_size == 2
    # every member entitled to vote was told at opening
    told = Notification.objects.filter(kind="case.approval", object_id=str(case.pk))
    assert {n.recipient for n in told} == {cast.chair, cast.committee_member}

    response = vote(client, cast.chair, case)
    assert response.status_code == 302
    assert status(case) == S.AWAITING_APPROVAL
    assert not Notification.objects.filter(kind="case.committee_decided").exists()

    vote(client, cast.committee_member, case)
    assert status(case) == S.DETERMINED
    decision.refresh_from_db()
    assert decision.approved is True and decision.decided_at is not None
    # the body is told, as before
    assert Notification.objects.filter(
        kind="case.committee_decided", recipient=cast.quality_officer
    ).exists()
    audit = AuditEntry.objects.filter(object_id=str(case.pk))
    actions = set(audit.values_list("action", flat=True))
    assert {"case.committee.open", "case.vote", "case.approve"} <= actions


def test_two_of_three_decide_and_a_rejecting_majority_sends_it_back(cast, client):
    wei = third_member()
    case = _awaiting(cast)
    decision = CommitteeDecision.objects.get(object_id=case.pk, round=1)
    assert decision.electorate_size == 3 and decision.threshold == 2

    # a send-back needs its reason, as before
    response = vote(client, cast.committee_member, case, "send_back", "")
    assert response.status_code == 200 and "comment" in response.context["form"].errors
    assert not CommitteeVote.objects.exists()

    vote(client, cast.committee_member, case, "send_back", "请补充访谈记录。")
    assert status(case) == S.AWAITING_APPROVAL  # 2 approvals are still possible
    Deadline.objects.filter(kind="case.investigation").delete()
    vote(client, wei, case, "send_back", "证据不足。")
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING
    assert "请补充访谈记录。" in case.committee_comment and "证据不足。" in case.committee_comment
    # the investigation deadline starts again
    assert Deadline.objects.filter(kind="case.investigation", object_id=str(case.pk)).exists()
    told = Notification.objects.get(kind="case.committee_decided", recipient=cast.quality_officer)
    assert "证据不足" in told.body

    # determined again: a new round, in which two approvals of three decide
    from cases import services

    services.case_determine(
        actor=cast.quality_officer,
        case=case,
        grade=grade("严重"),
        responsible_unit=cast.units.jwc,
        responsible_person="考务科",
        findings="补充访谈后属实。",
    )
    assert Case.objects.get(pk=case.pk).committee_round == 2
    vote(client, wei, case)
    assert status(case) == S.AWAITING_APPROVAL
    vote(client, cast.chair, case)
    assert status(case) == S.DETERMINED


def test_who_voted_no_longer_has_the_task_the_others_still_do(cast, client):
    case = _awaiting(cast)
    assert inbox_cases(client, cast.chair) == [case]
    assert inbox_cases(client, cast.committee_member) == [case]
    assert case_card(client, cast.chair) == 1

    vote(client, cast.chair, case)
    assert inbox_cases(client, cast.chair) == []
    assert case_card(client, cast.chair) == 0
    assert inbox_cases(client, cast.committee_member) == [case]
    assert case_card(client, cast.committee_member) == 1
    client.force_login(cast.chair)
    assert case not in client.get(reverse("cases:inbox")).context["page"].object_list


def test_the_case_page_shows_the_round(cast, client):
    case = _awaiting(cast)
    vote(client, cast.chair, case, "approve", "同意认定。")
    client.force_login(cast.quality_officer)
    page = client.get(case.get_absolute_url())
    round_ = page.context["committee_round"]
    assert round_["tally"]["threshold"] == 2 and round_["tally"]["approvals"] == 1
    assert round_["tally"]["awaited"] == [cast.committee_member]
    html = page.content.decode()
    section = html.split('id="committee-round"')[1].split("</section>")[0]
    assert 'data-voter="chair"' in section and "同意认定。" in section
    assert 'data-voter="committee"' in section and 'id="vote-awaited">李华<' in section
    # the reporter does not see how the members voted
    client.force_login(cast.teacher)
    assert client.get(case.get_absolute_url()).context["committee_round"] is None


def test_the_api_approve_records_a_vote(cast, client):
    case = _awaiting(cast)
    client.force_login(cast.committee_member)
    url = f"/api/v1/cases/{case.pk}/approve/"
    response = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.AWAITING_APPROVAL
    assert CommitteeVote.objects.filter(voter=cast.committee_member, approve=True).exists()
    client.force_login(cast.chair)
    response = client.post(url, {"decision": "approve"}, content_type="application/json")
    assert response.json()["status"] == S.DETERMINED


def test_a_member_recused_from_the_case_is_not_in_its_electorate(cast, client):
    case = _awaiting(cast)
    Case.objects.filter(pk=case.pk).update(recused_ids=[cast.committee_member.pk])
    CommitteeDecision.objects.all().delete()
    case = Case.objects.get(pk=case.pk)
    # the round opens with the first vote (a case that waited before rounds were recorded)
    vote(client, cast.chair, case)
    decision = CommitteeDecision.objects.get(object_id=case.pk)
    assert decision.electorate == [cast.chair.pk]
    assert decision.excluded == [cast.committee_member.pk]
    assert status(case) == S.DETERMINED  # the majority of one


def test_a_member_leaving_mid_vote_recounts_the_case(cast, client):
    """The electorate and threshold stay as opened: with the chair's approval in and the other
    member gone, two approvals can no longer be reached, so the round is decided at once."""
    from accounts.models import Membership

    case = _awaiting(cast)
    vote(client, cast.chair, case)
    Membership.objects.filter(user=cast.committee_member, role=Role.COMMITTEE_MEMBER).delete()
    case.refresh_from_db()
    assert case.status == S.INVESTIGATING
    assert CommitteeDecision.objects.get(object_id=case.pk).approved is False
    assert case.committee_comment  # the recount says why


def test_a_vote_on_a_decided_case_is_refused_naming_the_step_as_its_page_does(cast, client):
    """A vote posted after the round was decided (a second tab, the form's address kept) is
    refused with the step's name, 委员会表决, not the action's code."""
    case = _awaiting(cast)
    vote(client, cast.chair, case)
    vote(client, cast.committee_member, case)
    assert status(case) == S.DETERMINED
    response = vote(client, cast.committee_member, case, follow=True)
    page = response.content.decode()
    assert "“委员会表决”" in page
    assert "approve" not in page.split("<main", 1)[1]


def test_the_vote_form_of_a_decided_case_leads_back_to_the_case(cast, client):
    """The vote form's address, opened after the round was decided, shows the case and why
    (it showed the form, refused only once filled in)."""
    case = _awaiting(cast)
    vote(client, cast.chair, case)
    vote(client, cast.committee_member, case)
    response = client.get(reverse("cases:action", args=[case.pk, "approve"]), follow=True)
    assert response.redirect_chain[-1][0] == case.get_absolute_url()
    assert "不能执行“委员会表决”" in response.content.decode()
    assert 'name="decision"' not in response.content.decode()


def test_a_member_who_joined_mid_vote_is_not_offered_the_vote(cast, client):
    """The round's electorate is fixed when it opens: a member who joined since votes from the
    next round, so the case page offers them no vote (posting it is refused)."""
    case = _awaiting(cast)
    newcomer = third_member()
    client.force_login(newcomer)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:action", args=[case.pk, "approve"]) not in page
    assert vote(client, newcomer, case).status_code == 403
    client.force_login(cast.committee_member)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:action", args=[case.pk, "approve"]) in page
    assert status(case) == S.AWAITING_APPROVAL


def test_a_member_who_voted_sees_their_vote_on_the_form(cast, client):
    """A vote may be changed until the round is decided: the form shows the vote cast (it showed
    nothing marked, as if the member had not voted)."""
    case = _awaiting(cast)
    client.force_login(cast.chair)
    url = reverse("cases:action", args=[case.pk, "approve"])
    assert client.get(url).context["form"]["decision"].value() is None
    vote(client, cast.chair, case, "approve", "同意认定")  # one of two: not decided yet
    form = client.get(url).context["form"]
    assert form["decision"].value() == "approve" and form["comment"].value() == "同意认定"
