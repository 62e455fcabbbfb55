"""The notification kinds of the cases feature. Messages name the case by number and title only:
never the reporter, so a message to the responsible unit cannot reveal who filed."""

from django.utils.translation import gettext_lazy as _

from engine import notifications

KINDS = {
    "case.filed": (
        _("New case to accept"),
        _("New case {{ case.number }}: {{ case.title }}"),
        _("A new case waits for acceptance: {{ case.number }} {{ case.title }}. {{ url }}"),
    ),
    "case.accepted": (
        _("Case accepted"),
        _("Your case {{ case.number }} was accepted"),
        _("Your case “{{ case.title }}” was accepted and will be handled. {{ url }}"),
    ),
    "case.refused": (
        _("Case refused"),
        _("Your case {{ case.number }} was not accepted"),
        _("Your case “{{ case.title }}” was not accepted. Reason: {{ reason }} {{ url }}"),
    ),
    "case.transferred": (
        _("Case transferred"),
        _("Case {{ case.number }} handed to your body"),
        _(
            "Case {{ case.number }} “{{ case.title }}” is now with "
            "{{ case.accepting_unit }}. {{ url }}"
        ),
    ),
    "case.informed": (
        _("Case classified"),
        _("For your information: case {{ case.number }} ({{ case.grade }})"),
        _("Case {{ case.number }} “{{ case.title }}” was graded {{ case.grade }}. {{ url }}"),
    ),
    "case.investigation_closed": (
        _("Investigation closed"),
        _("Case {{ case.number }} determined"),
        _(
            "Case {{ case.number }} “{{ case.title }}” was determined before findings were "
            "recorded: your investigation step is closed. {{ url }}"
        ),
    ),
    "case.assigned": (
        _("Investigation assigned"),
        _("Investigate case {{ case.number }}"),
        _("You were assigned to investigate case {{ case.number }} “{{ case.title }}”. {{ url }}"),
    ),
    "case.approval": (
        _("Determination to approve"),
        _("Approve the determination of case {{ case.number }}"),
        _(
            "The determination of case {{ case.number }} ({{ case.grade }}) "
            "needs the committee. {{ url }}"
        ),
    ),
    "case.committee_decided": (
        _("Committee decision"),
        _("Committee decision on case {{ case.number }}"),
        _("{% if approved %}Approved.{% else %}Sent back: {{ comment }}{% endif %} {{ url }}"),
    ),
    "case.notice": (
        _("Rectification notice"),
        _("Rectification notice {{ obj.number }}"),
        _(
            "Your unit received notice {{ obj.number }}. Confirm receipt and rectify by "
            "{{ obj.due_at|date:'Y-m-d' }}. {{ url }}"
        ),
    ),
    "case.report_submitted": (
        _("Rectification report to verify"),
        _("Verify the rectification of {{ obj.number }}"),
        _("The responsible unit reported on notice {{ obj.number }}. {{ url }}"),
    ),
    "case.returned": (
        _("Rectification returned"),
        _("Rectification of {{ obj.number }} returned"),
        _("The rectification of {{ obj.number }} was returned: {{ reason }} {{ url }}"),
    ),
    "case.feedback": (
        _("Outcome of your case"),
        _("Outcome of your case {{ case.number }}"),
        _("{{ outcome }} Please rate how the case was handled: {{ url }}"),
    ),
    "case.reopened": (
        _("Case reopened"),
        _("Your case {{ case.number }} was reopened"),
        _("Case “{{ case.title }}” was reopened: {{ reason }} {{ url }}"),
    ),
}


# What answers the person who filed: who that is stays theirs to tell (a complainant may have hidden
# their identity), so the engine shows these messages to their recipient only.
TO_REPORTER = {"case.accepted", "case.refused", "case.feedback", "case.reopened"}


def _audience() -> dict:
    """Whom each kind can reach, by capability (the notification settings list only those)."""
    from .permissions import CaseCap as C

    filers = (C.FILE, C.REPORT, C.RAISE)
    body = (C.ACCEPT, C.ACCEPT_COLLEGE)
    return {
        **dict.fromkeys(TO_REPORTER, filers),
        "case.filed": body,
        "case.transferred": body,
        "case.report_submitted": body,
        "case.committee_decided": body,
        # the committee, and the discipline office where the grade's rules say so
        "case.informed": (C.COMMITTEE, C.OVERSEE),
        "case.approval": (C.COMMITTEE,),
        # investigators are chosen among the staff (cases.forms.investigator_choices)
        "case.assigned": (C.INVESTIGATE,),
        "case.investigation_closed": (C.INVESTIGATE,),
        "case.notice": (C.RECTIFY,),
        "case.returned": (C.RECTIFY,),
    }


def register():
    audience = _audience()
    for kind, (label, title, body) in KINDS.items():
        notifications.register_kind(
            kind,
            label=label,
            title=title,
            body=body,
            confidential=kind in TO_REPORTER,
            audience=audience[kind],
        )
