"""The supervision request (督办) as a step table: the accepting body's leader answers."""

from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Role
from engine import steps

from .models import Supervision
from .services import SUPERVISION_KIND

# the roles that answer for an accepting body (the home page's card: their duty)
BODY_LEADERS = frozenset({Role.DEPARTMENT_LEADER, Role.QUALITY_OFFICER})


def body_leader(unit: OrgUnit) -> steps.Seat:
    """Who leads an accepting body: a department's leader, or the quality office's officers."""
    if unit.kind == OrgUnit.Kind.DEPARTMENT:
        return steps.Seat(Role.DEPARTMENT_LEADER, unit)
    return steps.Seat(Role.QUALITY_OFFICER, unit)


class SupervisionFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Supervision,
        state_field="status",
        process_title=_("Supervision request (督办)"),
        summary=lambda s: f"{s.case.number} {s.case.title}",
        related=("case", "unit"),
        outcomes={"answered": _("Answered")},
        steps=[
            steps.Step(
                state=Supervision.Status.OPEN,
                name="answer",
                title=_("Answer the supervision request"),
                who=lambda s: body_leader(s.unit),
                deadline_kind=SUPERVISION_KIND,
            )
        ],
    )
