"""An observer's duty (听课任务) as a step table (engine.steps): it waits in the observer's own
inbox, timed by the duty's deadline, until the observations the quota asks are done."""

from django.utils.translation import gettext_lazy as _

from engine import steps

from .models import Duty, DutyStatus
from .services import DUTY_KIND


class DutyFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Duty,
        state_field="status",
        process_title=_("Class observation duty"),
        summary=lambda duty: (
            f"{duty.quota.get_role_display()} · {duty.label} · {duty.done}/{duty.required}"
        ),
        unit=lambda duty: duty.unit,
        related=("quota", "unit"),
        outcomes={"met": _("Quota met")},
        steps=[
            steps.Step(
                state=DutyStatus.OPEN,
                name="observe",
                title=_("Observe the lessons the duty asks"),
                who=lambda duty: duty.observer,
                deadline_kind=DUTY_KIND,
                # one's own lessons observed: nobody else's observation counts for the duty
                personal=True,
            )
        ],
    )
