"""One to-do list: every engine deadline times a step of the one inbox, so neither the inbox nor
the home page keeps a second list of deadlines beside it. The improvement period a review
conclusion gives a unit (the last deadline that showed only in that list) is a step of its own
table: the unit's head has it in the inbox, due when the deadline is, until the unit's next
conclusion ends it."""

from django.urls import reverse

from cases.flows import CaseFlow
from engine import deadlines, holders, steps
from tests.engine.test_holders import _leader, _person, _reassign, _unit_of
from tests.engine.test_steps import inbox_rows
from tests.workflows.review.factories import forwarded_report, record_findings, round_in_review
from workflows.review import services as review
from workflows.review.flows import ConclusionFlow
from workflows.review.models import ReviewAssignment, ReviewConclusion


def test_every_deadline_kind_times_a_step_of_the_one_inbox():
    timed = {
        step.deadline_kind
        for flow_class in steps.REGISTRY.values()
        for step in flow_class.table.steps
        if step.deadline_kind
    }
    timed |= set(CaseFlow.deadline_kinds)
    assert set(deadlines._kind_labels) <= timed


def _concluded(cast, period, name, catalogue=None):
    report = forwarded_report(cast, period=period, catalogue=catalogue)
    round_, chair = round_in_review(cast, [report], name=name)
    assignment = ReviewAssignment.objects.get(member=chair, report=report)
    record_findings(cast.expert, assignment, matching=0)
    review.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    return ReviewConclusion.objects.get(round=round_, report=report)


def test_a_conclusion_to_improve_waits_in_the_heads_inbox_until_the_next_one(cast, client):
    conclusion = _concluded(cast, "2026", "2026 复核")
    assert conclusion.improvement_due is not None
    deadline = deadlines.Deadline.objects.get(kind="review.improvement")
    rows = [r for r in inbox_rows(client, cast.software_lead) if r.obj == conclusion]
    assert len(rows) == 1
    assert rows[0].due == deadline.due_at and rows[0].unit == cast.units.rj
    assert client.get(rows[0].url).status_code == 200
    for url in (reverse("engine:inbox"), reverse("home")):
        page = client.get(url).content.decode()
        assert 'id="my-deadlines"' not in page, url
    # handed to a teacher of the major: they see it and open the report it is about
    task = holders.open_tasks(conclusion)[0]
    person = _person(_unit_of(task), "整改教师")
    assert _reassign(client, _leader(_unit_of(task)), task, person).status_code == 302
    rows = [r for r in inbox_rows(client, person) if r.obj == conclusion]
    assert len(rows) == 1 and client.get(rows[0].url).status_code == 200

    later = _concluded(cast, "2027", "2027 复核", catalogue=conclusion.report.catalogue)
    assert [r for r in inbox_rows(client, cast.software_lead) if r.obj == later]
    assert not [r for r in inbox_rows(client, person) if r.obj == conclusion]
    assert not holders.open_tasks(conclusion)
    assert steps.flow_for(conclusion) is ConclusionFlow


def test_a_case_waiting_for_its_unit_is_due_when_its_notice_is(cast, client):
    """The rectification deadline is the notice's: the unit's case row in the inbox shows it
    (it used to show only in the deadline list)."""
    from cases.models import Status as S
    from tests.cases.factories import advance, file_case

    case = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFYING)
    notice = case.notices.get()
    deadline = deadlines.Deadline.objects.get(kind="notice.rectification", object_id=str(notice.pk))
    rows = [r for r in inbox_rows(client, cast.software_lead) if r.obj == case]
    assert len(rows) == 1 and rows[0].due == deadline.due_at
