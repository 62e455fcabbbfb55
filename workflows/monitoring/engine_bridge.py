"""The one place monitoring talks to the engine (deadlines and escalation).

A warning must be acknowledged within the configured working days (the indicator's own
number, else settings.MONITORING_WARNING_RESPONSE_DAYS); the engine's escalation ladder for
the kind "warning.response" reminds, then escalates to the unit's leader, then the college.
"""

from django.conf import settings

DEADLINE_KIND = "warning.response"

try:  # the engine API lands on main separately; until then deadlines are not tracked
    from engine import deadlines as _deadlines
    from engine import signals as _engine_signals
except ImportError:
    _deadlines = None
    _engine_signals = None


def response_working_days(indicator) -> int:
    if indicator.response_working_days is not None:
        return indicator.response_working_days
    return settings.MONITORING_WARNING_RESPONSE_DAYS


def start_response_deadline(warning) -> None:
    if _deadlines is None:
        return
    _deadlines.deadline_start(
        obj=warning,
        kind=DEADLINE_KIND,
        owner_unit=warning.responsible_unit,
        owner_user=warning.subject.subject_user,
        working_days=response_working_days(warning.indicator),
        start=warning.raised_at,
    )


def complete_response_deadline(warning) -> None:
    if _deadlines is not None:
        _deadlines.deadline_complete(obj=warning, kind=DEADLINE_KIND)


def cancel_response_deadline(warning) -> None:
    if _deadlines is not None:
        _deadlines.deadline_cancel(obj=warning, kind=DEADLINE_KIND)


def on_deadline_escalated(sender, deadline, level, **kwargs):
    from .models import Warning

    if deadline.kind != DEADLINE_KIND:
        return
    Warning.objects.filter(pk=deadline.object_id, escalation_level__lt=level).update(
        escalation_level=level
    )


def connect() -> None:
    if _engine_signals is not None:
        _engine_signals.deadline_escalated.connect(
            on_deadline_escalated, dispatch_uid="monitoring.warning_escalated"
        )
