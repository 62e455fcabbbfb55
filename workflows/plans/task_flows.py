"""A plan's task (附件1 row) as a step table (engine.steps): the person responsible does it,
or, with nobody named, the leader of its lead unit; done when the deliverable is uploaded
and the task completed."""

from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit
from accounts.models import Role as R
from engine import steps

from .models import Task, TaskState
from .services import TASK_DEADLINE


def unit_leader(unit: OrgUnit) -> steps.Seat:
    """A unit's leader: a major's or course's professional team leader (the nearest one held),
    else the leader of the department or office (steps.leader_seat: the quality office when
    nobody leads it), so that a task never waits on a seat nobody holds."""
    if unit.kind in (OrgUnit.Kind.MAJOR, OrgUnit.Kind.COURSE):
        seat = steps.nearest_seat(R.TEAM_LEADER, unit)
        if seat is not None:
            return seat
    return steps.leader_seat(unit)


def _who(task):
    if task.person_id:
        return task.person
    return unit_leader(task.access_unit)


class PlanTaskFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Task,
        state_field="state",
        process_title=_("Plan task"),
        summary=lambda task: f"{task.title} · {task.plan}",
        unit=lambda task: task.lead_unit or task.plan.owner_unit,
        related=("plan__owner_unit", "lead_unit"),
        outcomes={"done": _("Completed"), "retired": _("Retired")},
        steps=[
            steps.Step(
                state=TaskState.OPEN,
                name="work",
                title=_("Do the task and upload the deliverable"),
                who=_who,
                deadline_kind=TASK_DEADLINE,
            )
        ],
    )
