"""The one place monitoring talks to the engine: deadlines, escalation, notifications, files.

A warning must be acknowledged within the configured working days (the indicator's own
number, else settings.MONITORING_WARNING_RESPONSE_DAYS); the engine's escalation ladder for
the kind "warning.response" (data in admin) reminds, escalates to the unit's leader, then the
college, and each step marks the warning's escalation level here.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from engine import attachments, deadlines, notifications, signals

from . import capabilities as caps

DEADLINE_KIND = "warning.response"
deadlines.register_kind(DEADLINE_KIND, label=_("Warning response"))
WARNING_RAISED = "monitoring.warning"
WARNINGS_DIGEST = "monitoring.warnings_digest"


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


def start_response_deadlines(warnings) -> None:
    """`start_response_deadline` for a batch of warnings in a constant number of queries."""
    deadlines.deadline_start_many(
        kind=DEADLINE_KIND,
        specs=[
            deadlines.DeadlineSpec(
                obj=w,
                owner_unit=w.responsible_unit,
                owner_user=w.subject.subject_user,
                working_days=response_working_days(w.indicator),
                start=w.raised_at,
            )
            for w in warnings
        ],
    )


def cancel_response_deadlines(warning_ids) -> None:
    from .models import Warning

    deadlines.deadline_cancel_many(model=Warning, object_ids=warning_ids, kind=DEADLINE_KIND)


def complete_response_deadline(warning) -> None:
    deadlines.deadline_complete(obj=warning, kind=DEADLINE_KIND)


def cancel_response_deadline(warning) -> None:
    deadlines.deadline_cancel(obj=warning, kind=DEADLINE_KIND)


def notify_warning_raised(warning) -> int:
    return notify_warnings_raised([warning])


def notify_warnings_raised(warnings) -> int:
    """The responsible unit's leaders (and the teacher or student themself) hear of each
    warning; a unit with MONITORING_WARNING_DIGEST_AT or more new warnings in the batch tells
    its leaders once, with a link to its warnings. One query per distinct unit for its leaders,
    then one read and one insert per message kind."""
    by_unit: dict[int, list] = {}
    for warning in warnings:
        by_unit.setdefault(warning.responsible_unit_id, []).append(warning)
    single, digests = [], []
    for unit_warnings in by_unit.values():
        unit = unit_warnings[0].responsible_unit
        leaders = list(notifications.unit_leaders(unit, team=True))
        digest = len(unit_warnings) >= settings.MONITORING_WARNING_DIGEST_AT
        if digest:
            first, last = unit_warnings[0].pk, unit_warnings[-1].pk
            digests.append(
                notifications.Message(
                    leaders,
                    f"{WARNINGS_DIGEST}:{unit.pk}:{first}-{last}",
                    obj=unit,
                    url=f"{reverse('monitoring:warning_list')}?unit={unit.pk}",
                    context={"count": len(unit_warnings), "unit": unit},
                    unit=unit,
                )
            )
        for warning in unit_warnings:
            recipients = [] if digest else list(leaders)
            if warning.subject.subject_user is not None:
                recipients.append(warning.subject.subject_user)
            single.append(
                notifications.Message(
                    recipients,
                    f"{WARNING_RAISED}:{warning.pk}",
                    obj=warning,
                    context={
                        "level": warning.get_level_display(),
                        "days": response_working_days(warning.indicator),
                    },
                    unit=unit,
                )
            )
    return notifications.notify_many(kind=WARNING_RAISED, messages=single) + (
        notifications.notify_many(kind=WARNINGS_DIGEST, messages=digests) if digests else 0
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
        audience=(caps.RESPOND, caps.STUDENT_RESPOND, caps.SIGN_OFF, caps.CONFIGURE),
        title=_("{{ level }} warning: {{ obj }}"),
        body=_(
            "{{ obj.indicator }} of {{ obj.subject }} is {{ obj.value|plain }} in "
            "{{ obj.period }}. Acknowledge it and open an improvement within {{ days }} working "
            "days. {{ url }}"
        ),
    )
    notifications.register_kind(
        WARNINGS_DIGEST,
        label=_("Monitoring warnings (digest)"),
        audience=(caps.RESPOND, caps.STUDENT_RESPOND, caps.SIGN_OFF, caps.CONFIGURE),
        title=_("{{ count }} new warnings: {{ unit }}"),
        body=_(
            "An evaluation run raised {{ count }} warnings against {{ unit }}. Each must be "
            "acknowledged and answered with an improvement. {{ url }}"
        ),
    )
    signals.deadline_escalated.connect(
        on_deadline_escalated, dispatch_uid="monitoring.warning_escalated"
    )
    attachments.register_access(Improvement, can_view=access_rules.can_view)
    attachments.register_access(
        CycleEvidence, can_view=lambda user, evidence: access_rules.can_view(user, evidence.cycle)
    )
