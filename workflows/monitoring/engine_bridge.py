"""The one place monitoring talks to the engine: deadlines, escalation, notifications, files.

A warning must be acknowledged within the configured working days (the indicator's own
number, else settings.MONITORING_WARNING_RESPONSE_DAYS); the engine's escalation ladder for
the kind "warning.response" (data in admin) reminds, escalates to the unit's leader, then the
college, and each step marks the warning's escalation level here.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from engine import attachments, deadlines, notifications, signals

DEADLINE_KIND = "warning.response"
WARNING_RAISED = "monitoring.warning"


def response_working_days(indicator) -> int:
    if indicator.response_working_days is not None:
        return indicator.response_working_days
    return settings.MONITORING_WARNING_RESPONSE_DAYS


def start_response_deadline(warning) -> None:
    deadlines.deadline_start(
        obj=warning,
        kind=DEADLINE_KIND,
        owner_unit=warning.responsible_unit,
        owner_user=warning.subject.subject_user,
        working_days=response_working_days(warning.indicator),
        start=warning.raised_at,
    )


def complete_response_deadline(warning) -> None:
    deadlines.deadline_complete(obj=warning, kind=DEADLINE_KIND)


def cancel_response_deadline(warning) -> None:
    deadlines.deadline_cancel(obj=warning, kind=DEADLINE_KIND)


def notify_warning_raised(warning) -> int:
    """The responsible unit's leaders (and the teacher or student themself) hear of it."""
    recipients = list(notifications.unit_leaders(warning.responsible_unit, team=True))
    if warning.subject.subject_user is not None:
        recipients.append(warning.subject.subject_user)
    return notifications.notify(
        kind=WARNING_RAISED,
        recipients=recipients,
        obj=warning,
        context={
            "level": warning.get_level_display(),
            "days": response_working_days(warning.indicator),
        },
        dedup_key=f"monitoring.warning:{warning.pk}",
        unit=warning.responsible_unit,
    )


def attach_file(*, actor, obj, upload):
    return attachments.attach(actor=actor, obj=obj, upload=upload, strip_metadata=True)


def files_of(obj):
    return attachments.attachments_for(obj)


def validate_upload(upload) -> None:
    attachments.validate_upload(upload)


def on_deadline_escalated(sender, deadline, level, **kwargs):
    from .models import Warning

    if deadline.kind != DEADLINE_KIND:
        return
    Warning.objects.filter(pk=deadline.object_id, escalation_level__lt=level).update(
        escalation_level=level
    )


def connect() -> None:
    from . import access_rules
    from .models import CycleEvidence, Improvement

    notifications.register_kind(
        WARNING_RAISED,
        label=_("Monitoring warning"),
        title=_("{{ level }} warning: {{ obj }}"),
        body=_(
            "{{ obj.indicator }} of {{ obj.subject }} is {{ obj.value|floatformat:'-2' }} in "
            "{{ obj.period }}. Acknowledge it and open an improvement within {{ days }} working "
            "days. {{ url }}"
        ),
    )
    signals.deadline_escalated.connect(
        on_deadline_escalated, dispatch_uid="monitoring.warning_escalated"
    )
    attachments.register_access(Improvement, can_view=access_rules.can_view)
    attachments.register_access(
        CycleEvidence, can_view=lambda user, evidence: access_rules.can_view(user, evidence.cycle)
    )
