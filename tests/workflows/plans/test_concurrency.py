"""Two committee members deciding at once: the row lock lets one decision through."""

import threading

import pytest
from django.db import close_old_connections
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from workflows.plans import flows, services
from workflows.plans.models import (
    CommitteeDecision,
    CommitteeRule,
    CommitteeVote,
    ItemState,
    Plan,
)

from .factories import draft_plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_approving_at_once_record_one_decision(cast):
    # one vote decides, so the two votes race for the one decision
    CommitteeRule.objects.create(mode=CommitteeRule.Mode.FIXED, quorum=1)
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    barrier = threading.Barrier(2)
    outcomes = []

    def vote(member, approve):
        try:
            barrier.wait()
            services.committee_vote(
                actor=member,
                subject=Plan.objects.get(pk=plan.pk),
                approve=approve,
                comment="" if approve else "退回修改",
            )
            outcomes.append("decided")
        except services.StateConflict:
            outcomes.append("conflict")
        finally:
            close_old_connections()

    threads = [
        # Both approve: one approval decides, so whoever is second finds it decided. (A return
        # would not decide a round that one approval can still carry.)
        threading.Thread(target=vote, args=(cast.chair, True)),
        threading.Thread(target=vote, args=(cast.committee_member, True)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["conflict", "decided"]
    assert CommitteeDecision.objects.count() == 1
    assert CommitteeVote.objects.count() == 1
    decision = CommitteeDecision.objects.get()
    plan = Plan.objects.get(pk=plan.pk)
    assert decision.approved and plan.state == ItemState.IN_FORCE
    # The flow recorded the same single decision: one committee task done, by the winner.
    committee = Task.objects.get(
        process__in=flows.processes_of(plan).values("pk"),
        flow_task=flows.ItemApprovalFlow.committee,
    )
    assert committee.status == STATUS.DONE
    assert committee.owner == CommitteeVote.objects.get().voter  # the winner
    assert flows.processes_of(plan).get().status == PROCESS.DONE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_on_the_flow_task_page_at_once_record_one_decision(cast):
    from django.test import Client
    from django.urls import reverse

    CommitteeRule.objects.create(mode=CommitteeRule.Mode.FIXED, quorum=1)
    plan = draft_plan(cast)
    services.item_submit(actor=cast.quality_officer, item=plan)
    services.item_review(actor=cast.quality_officer, item=plan, approve=True)
    task = flows.open_tasks(plan, flows.COMMITTEE).get()
    url = reverse("plans:flow_task", args=[task.process_id, task.pk])
    barrier = threading.Barrier(2)
    statuses = []

    def vote(member, decision):
        client = Client()
        client.force_login(member)
        try:
            barrier.wait()
            statuses.append(client.post(url, {"decision": decision, "comment": "意见"}).status_code)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=vote, args=(cast.chair, "approve")),
        # Both approve: with one approving vote deciding, whoever is second finds it decided.
        # (A "return" would not decide a round that one approval can still carry.)
        threading.Thread(target=vote, args=(cast.committee_member, "approve")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # The winner is redirected to the plan; the loser sees the step done (redirect) or the form
    # with "already decided" (200) — never a 500, never a second decision.
    assert all(code in (200, 302, 409) for code in statuses) and len(statuses) == 2
    assert CommitteeDecision.objects.count() == 1 and CommitteeVote.objects.count() == 1
    task.refresh_from_db()
    assert task.status == STATUS.DONE
