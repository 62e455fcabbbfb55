"""The committee decides by a majority of its members (the college's default rule), walked
through the change request's page as the members: every member is told and finds the task in
their inbox, each votes once (and may change the vote before the decision), the page shows who
voted how and when, the proposer does not vote, and a member leaving mid-vote neither lowers the
bar nor blocks the round."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, Membership, Role
from engine import duties
from engine.models import Notification
from tests.factories import MembershipFactory, UserFactory
from workflows.plans import flows, services
from workflows.plans.models import (
    ChangeRequest,
    ChangeState,
    CommitteeDecision,
    CommitteeRule,
    CommitteeVote,
)

from .factories import in_force_plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def duty_rules(db):
    duties.seed_defaults()


def committee_of(cast, size):
    """The cast's chair and member plus enough new members for a committee of `size`."""
    people = [cast.chair, cast.committee_member]
    for n in range(size - 2):
        user = UserFactory(username=f"member{n + 3}", full_name=f"委员{n + 3}")
        MembershipFactory(user=user, org_unit=cast.units.committee, role=Role.COMMITTEE_MEMBER)
        people.append(user)
    return people


def propose(cast, plan, actor=None):
    return services.change_request_create(
        actor=actor or cast.quality_officer,
        item=plan,
        summary="延长规划期限",
        reason="与省规划对齐",
        proposed={"end_year": 2031},
    )


def vote(client, user, change, decision, comment="意见"):
    client.force_login(user)
    response = client.post(
        reverse("plans:change_vote", args=[change.pk]), {"decision": decision, "comment": comment}
    )
    assert response.status_code == 302, response.content.decode()[:1000]


def decision_of(change):
    return CommitteeDecision.objects.get(
        content_type=ContentType.objects.get_for_model(ChangeRequest), object_id=change.pk
    )


def votes_on(change):
    return CommitteeVote.objects.filter(
        content_type=ContentType.objects.get_for_model(ChangeRequest), object_id=change.pk
    )


def state(change):
    return ChangeRequest.objects.get(pk=change.pk).state


def in_inbox(client, user, change) -> bool:
    client.force_login(user)
    task = flows.open_tasks(change, flows.COMMITTEE).first()
    if task is None:
        return False
    home = client.get(reverse("home")).content.decode()
    return flows.task_url(task) in home


def test_three_members_one_vote_each_majority_decides(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 3)
    change = propose(cast, plan)
    decision = decision_of(change)
    assert decision.electorate_size == 3 and decision.threshold == 2
    assert sorted(decision.electorate) == sorted(u.pk for u in members)
    # every member is told and has the task
    told = Notification.objects.filter(kind="plans.committee_needed", object_id=change.pk)
    assert {n.recipient_id for n in told} == {u.pk for u in members}
    assert all(in_inbox(client, u, change) for u in members)

    vote(client, members[2], change, "approve")
    assert state(change) == ChangeState.SUBMITTED  # one vote of three decides nothing
    assert not in_inbox(client, members[2], change)  # voted: off their list
    assert in_inbox(client, cast.chair, change)  # still waiting for the others

    # a member changes their vote before the decision: one vote, the change logged
    vote(client, members[2], change, "reject", "再议")
    vote(client, members[2], change, "approve", "同意")
    row = votes_on(change).get(voter=members[2])
    assert row.approve is True and [h["approve"] for h in row.history] == [True, False]
    assert AuditEntry.objects.filter(action="plans.vote.change").count() == 2
    assert votes_on(change).count() == 1

    vote(client, cast.committee_member, change, "approve")
    assert state(change) == ChangeState.APPROVED
    decision.refresh_from_db()
    assert decision.approved is True and decision.decided_at is not None
    assert not flows.open_tasks(change, flows.COMMITTEE).exists()

    # the decision page shows who voted how and when, and who never voted
    client.force_login(cast.quality_officer)
    page = client.get(reverse("plans:change_detail", args=[change.pk]))
    rows = {r["person"].username: r for r in page.context["voters"]}
    assert rows["member3"]["vote"].approve and rows["committee"]["vote"].approve
    assert rows["chair"]["vote"] is None
    body = page.content.decode()
    assert 'data-voter="member3"' in body and "委员3" in body
    at = timezone.localtime(decision.decided_at)
    assert f"决定时间：{at:%Y-%m-%d %H:%M}。" in body  # a Chinese sentence, not “… 08:24.”
    # too late to vote now
    vote(client, cast.chair, change, "approve")
    assert votes_on(change).count() == 2


def test_five_members_a_rejecting_majority_rejects(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 5)
    change = propose(cast, plan)
    assert decision_of(change).threshold == 3
    vote(client, members[0], change, "approve")
    vote(client, members[1], change, "reject")
    vote(client, members[2], change, "reject")
    assert state(change) == ChangeState.SUBMITTED  # 1 : 2, two still to vote
    vote(client, members[3], change, "reject")
    assert state(change) == ChangeState.REJECTED
    assert decision_of(change).approved is False


def test_seven_members_the_proposer_does_not_vote_and_a_tie_fails(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 7)
    proposer = members[6]
    MembershipFactory(user=proposer, org_unit=cast.units.college, role=Role.QUALITY_OFFICER)
    change = propose(cast, plan, actor=proposer)
    decision = decision_of(change)
    assert proposer.pk not in decision.electorate and decision.excluded == [proposer.pk]
    assert decision.electorate_size == 6 and decision.threshold == 4

    # the proposer sees the rule instead of the vote buttons, and a vote is refused with it
    client.force_login(proposer)
    page = client.get(reverse("plans:change_detail", args=[change.pk])).content.decode()
    assert "变更申请的提出人不得对本申请投票" in page
    assert 'value="approve"' not in page
    response = client.post(
        reverse("plans:change_vote", args=[change.pk]), {"decision": "approve"}, follow=True
    )
    assert "变更申请的提出人不得对本申请投票" in response.content.decode()
    assert not CommitteeVote.objects.filter(voter=proposer).exists()
    assert not in_inbox(client, proposer, change)

    for member in members[:3]:
        vote(client, member, change, "approve")
    for member in members[3:5]:
        vote(client, member, change, "reject")
    assert state(change) == ChangeState.SUBMITTED
    vote(client, members[5], change, "reject")  # 3 : 3 — no majority
    assert state(change) == ChangeState.REJECTED


def test_a_member_leaving_mid_vote_neither_lowers_the_bar_nor_blocks_the_round(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 5)
    change = propose(cast, plan)
    vote(client, members[0], change, "approve")
    vote(client, members[1], change, "approve")
    # a member who voted leaves: the vote stays counted
    Membership.objects.filter(user=members[1], role=Role.COMMITTEE_MEMBER).delete()
    # a member who did not vote leaves: the bar stays at 3 of the 5 at opening
    Membership.objects.filter(user=members[4], role=Role.COMMITTEE_MEMBER).delete()
    decision = decision_of(change)
    assert decision.threshold == 3 and decision.electorate_size == 5
    assert state(change) == ChangeState.SUBMITTED
    client.force_login(cast.quality_officer)
    page = client.get(reverse("plans:change_detail", args=[change.pk]))
    left = {r["person"].username for r in page.context["voters"] if r["left"]}
    assert left == {members[1].username, members[4].username}
    # someone who joins now votes from the next round
    newcomer = UserFactory(username="newcomer")
    MembershipFactory(user=newcomer, org_unit=cast.units.committee, role=Role.COMMITTEE_MEMBER)
    vote(client, newcomer, change, "approve")
    assert not CommitteeVote.objects.filter(voter=newcomer).exists()
    vote(client, members[2], change, "approve")
    assert state(change) == ChangeState.APPROVED


def test_a_round_that_can_no_longer_pass_is_decided_when_a_member_leaves(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 3)
    change = propose(cast, plan)
    vote(client, members[0], change, "approve")
    vote(client, members[1], change, "reject")
    assert state(change) == ChangeState.SUBMITTED
    Membership.objects.filter(user=members[2], role=Role.COMMITTEE_MEMBER).delete()
    assert state(change) == ChangeState.REJECTED  # 1 approval, nobody left who could add one
    assert not flows.open_tasks(change, flows.COMMITTEE).exists()


def test_the_chairs_sign_off_is_a_setting(cast, client):
    plan = in_force_plan(cast)
    members = committee_of(cast, 3)
    CommitteeRule.objects.create(require_chair=True)
    change = propose(cast, plan)
    vote(client, members[1], change, "approve")
    vote(client, members[2], change, "approve")
    assert state(change) == ChangeState.SUBMITTED  # a majority, but not the chair
    vote(client, cast.chair, change, "approve")
    assert state(change) == ChangeState.APPROVED
