"""Who is told what, through the engine's outbox. Called inside the services' transactions."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from engine import notifications

from .permissions import reviewer_users

KINDS = {
    "plans.review_needed": (
        _("Plan review needed"),
        _("To review: {{ obj }}"),
        _("“{{ obj }}” was submitted for your review. {{ url }}"),
    ),
    "plans.committee_needed": (
        _("Committee decision needed"),
        _("For the committee: {{ obj }}"),
        _("“{{ obj }}” awaits the committee's decision. {{ url }}"),
    ),
    "plans.returned": (
        _("Returned with comments"),
        _("Returned: {{ obj }}"),
        _("“{{ obj }}” was returned with comments: {{ comment }} {{ url }}"),
    ),
    "plans.task_assigned": (
        _("New task"),
        _("New task for your unit: {{ obj }}"),
        _("Your unit leads “{{ obj }}” (deliverable: {{ obj.deliverable }}). {{ url }}"),
    ),
}


def register():
    from .permissions import PlanCap

    # whom each kind can reach (the notification settings list only those)
    audience = {
        "plans.review_needed": (PlanCap.REVIEW,),
        "plans.committee_needed": (PlanCap.DECIDE, PlanCap.CHAIR),
        "plans.returned": (PlanCap.EDIT,),
        "plans.task_assigned": (PlanCap.TASK_WORK,),
    }
    for kind, (label, title, body) in KINDS.items():
        notifications.register_kind(
            kind, label=label, title=title, body=body, audience=audience[kind]
        )


def _key(kind, obj, suffix=""):
    return f"{kind}:{obj._meta.model_name}:{obj.pk}:{suffix}"


def reviewers(item):
    return reviewer_users(item)


def committee():
    return [
        *notifications.role_holders(Role.COMMITTEE_CHAIR),
        *notifications.role_holders(Role.COMMITTEE_MEMBER),
    ]


def review_needed(item, round_key):
    notifications.notify(
        kind="plans.review_needed",
        recipients=reviewers(item),
        obj=item,
        dedup_key=_key("plans.review_needed", item, round_key),
        unit=item.owner_unit,
    )


def committee_needed(subject, round_key, recipients=None):
    """Every member entitled to vote in the round is told (workflows.plans.committee)."""
    notifications.notify(
        kind="plans.committee_needed",
        recipients=committee() if recipients is None else recipients,
        obj=subject,
        url=subject.get_absolute_url(),
        dedup_key=_key("plans.committee_needed", subject, round_key),
    )


def returned(item, comment, round_key):
    recipients = [u for u in (item.created_by, item.owner_user) if u is not None]
    notifications.notify(
        kind="plans.returned",
        recipients=recipients,
        obj=item,
        context={"comment": comment},
        dedup_key=_key("plans.returned", item, round_key),
    )


def task_assigned(task):
    if task.lead_unit is None:
        return
    recipients = [*notifications.unit_leaders(task.lead_unit, team=True)]
    if task.person is not None:
        recipients.append(task.person)
    notifications.notify(
        kind="plans.task_assigned",
        recipients=recipients,
        obj=task,
        dedup_key=_key("plans.task_assigned", task),
        unit=task.lead_unit,
    )
