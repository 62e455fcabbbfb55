"""Business operations on plans, targets, standards, tasks and change requests."""

import datetime
import decimal
import json

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from accounts import access
from accounts.audit import audit_record
from accounts.models import Membership, OrgUnit, Role
from engine import attachments, deadlines, steps
from engine.numbers import plain
from workflows.levels import Level

from . import committee, flows, notices
from .models import (
    EDITABLE_STATES,
    KIND_TIER,
    PERSONAL_KINDS,
    PERSONAL_PLAN_OWNER,
    ChangeKind,
    ChangeRequest,
    ChangeState,
    ItemState,
    ItemVersion,
    Plan,
    PlanKind,
    Standard,
    Target,
    TargetCategory,
    TargetValue,
    Task,
    TaskState,
)
from .permissions import PlanCap, can_edit, can_review, can_work_task

RETIRED_STATES = (ItemState.RETIRED, ItemState.SUPERSEDED)
IN_FORCE_MESSAGE = gettext_lazy(
    "The task list of a plan in force changes only through a change request: import the "
    "new table and send it to the committee."
)


class StateConflict(Exception):
    """An operation the item's current state does not allow (HTTP 409 in the API)."""

    def __init__(self, message, allowed=()):
        super().__init__(message)
        self.message = message
        self.allowed = list(allowed)


def allowed_transitions(obj) -> list[str]:
    return [t.name for t in obj.get_available_state_transitions()]


def _fire(obj, name, **kwargs):
    method = getattr(obj, name)
    if not can_proceed(method):
        raise StateConflict(
            _("This step is not possible while the item is “%(state)s”.")
            % {"state": obj.get_state_display()},
            allowed_transitions(obj),
        )
    method(**kwargs)


def _locked(obj):
    return type(obj).objects.select_for_update().get(pk=obj.pk)


# ---- content: what a version holds ------------------------------------------------------------


def _json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


VALUE_PLACES = TargetValue._meta.get_field("value").decimal_places


def _decimal_text(value, places):
    """One spelling per number ("8000" and "8000.0000" are the same content)."""
    if value in (None, ""):
        return value
    try:
        return f"{decimal.Decimal(str(value)):.{places}f}"
    except decimal.InvalidOperation:
        return value  # left for validation to reject with a clear message


def normalise(item, content: dict) -> dict:
    data = _json(content)
    for name in item.CONTENT_FIELDS:
        field = item._meta.get_field(name)
        if name in data and isinstance(field, models.DecimalField):
            data[name] = _decimal_text(data[name], field.decimal_places)
    if isinstance(data.get("values"), dict):
        data["values"] = {
            str(year): _decimal_text(value, VALUE_PLACES) for year, value in data["values"].items()
        }
    if isinstance(data.get("targets"), list):
        data["targets"] = sorted(data["targets"])
    return data


def item_content(item) -> dict:
    """The item's versioned content as JSON (foreign keys as ids)."""
    data = {}
    for name in item.CONTENT_FIELDS:
        field = item._meta.get_field(name)
        data[name] = getattr(item, field.attname)
    if isinstance(item, Target) and item.pk:
        data["values"] = {str(v.year): v.value for v in item.values.all()}
    if isinstance(item, Standard) and item.pk:
        data["targets"] = list(item.targets.values_list("pk", flat=True))
    return normalise(item, data)


def _number_text(value) -> str:
    return plain(value)


def _display_value(model, key, raw) -> str:
    """How a page shows one content value: a choice's label, a linked item's name."""
    if raw in (None, "", [], {}):
        return ""
    if key == "values" and isinstance(raw, dict):
        return "；".join(f"{year}: {_number_text(v)}" for year, v in sorted(raw.items()))
    if key == "targets" and isinstance(raw, list):
        titles = dict(Target.objects.filter(pk__in=raw).values_list("pk", "title"))
        return "、".join(titles.get(pk, f"#{pk}") for pk in raw)
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return str(raw)
    if field.is_relation:
        obj = field.related_model._default_manager.filter(pk=raw).first()
        return str(obj) if obj is not None else f"#{raw}"
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.DecimalField):
        return _number_text(raw)
    return str(raw)


def content_display(model, content: dict) -> dict[str, str]:
    """`content` (as `item_content` gives it) as people read it."""
    return {key: _display_value(model, key, raw) for key, raw in content.items()}


def _snapshot(model, content: dict) -> dict:
    shown = content_display(model, content)
    return {key: {"raw": raw, "display": shown[key]} for key, raw in content.items()}


def _assign(item, content: dict) -> None:
    for name in item.CONTENT_FIELDS:
        if name not in content:
            continue
        field = item._meta.get_field(name)
        value = content[name]
        if field.is_relation:
            setattr(item, field.attname, value or None)
        else:
            setattr(item, name, field.to_python(value) if value not in (None, "") else value)


def _clean_values(values: dict, plan: Plan) -> dict[int, decimal.Decimal]:
    cleaned = {}
    for year, value in (values or {}).items():
        try:
            year_int = int(year)
            amount = decimal.Decimal(str(value))
        except (ValueError, decimal.InvalidOperation) as exc:
            raise ValidationError(
                {
                    "values": _("“%(year)s: %(value)s” is not a year and a number.")
                    % {"year": year, "value": value}
                }
            ) from exc
        if not plan.start_year <= year_int <= plan.end_year:
            raise ValidationError(
                {
                    "values": _("Year %(year)s is outside the plan period %(period)s.")
                    % {"year": year_int, "period": plan.period_label}
                }
            )
        cleaned[year_int] = amount
    return cleaned


def _validate_plan(plan: Plan) -> None:
    errors = {}
    if plan.start_year > plan.end_year:
        errors["end_year"] = _("The last year comes before the first year.")
    expected_tier = KIND_TIER.get(plan.kind)
    parent = plan.parent
    if expected_tier is not None:
        plan.tier = expected_tier
    elif parent is not None:
        plan.tier = parent.tier
    if plan.kind == PlanKind.GENERAL and parent is not None:
        errors["parent"] = _("A tier-1 general plan has no parent plan.")
    if plan.kind != PlanKind.GENERAL and parent is None:
        errors["parent"] = _("This plan needs a parent plan.")
    if parent is not None:
        if parent.state in RETIRED_STATES:
            errors["parent"] = _("The parent plan is retired or superseded.")
        elif parent.tier > plan.tier:
            errors["parent"] = _("A plan cannot sit under a plan of a lower tier.")
        seen = {plan.pk} if plan.pk else set()
        node = parent
        while node is not None:
            if node.pk in seen:
                errors["parent"] = _("This parent would make the plan tree a cycle.")
                break
            seen.add(node.pk)
            node = node.parent
        if "parent" not in errors and not (
            parent.start_year <= plan.start_year and plan.end_year <= parent.end_year
        ):
            errors["start_year"] = _("The period must lie within the parent plan's %(p)s.") % {
                "p": parent.period_label
            }
    if plan.replaces_id is not None:
        old = plan.replaces
        if old.pk == plan.pk or old.state != ItemState.IN_FORCE or old.kind != plan.kind:
            errors["replaces"] = _("Only another plan of the same kind in force can be replaced.")
    if plan.kind in PERSONAL_KINDS and plan.owner_user_id is None:
        errors["owner_user"] = _("A self-development plan belongs to a person.")
    elif plan.kind in PERSONAL_KINDS:
        role, level = PERSONAL_PLAN_OWNER[plan.kind]
        if not Membership.objects.filter(
            user_id=plan.owner_user_id, role=role, org_unit_id=plan.owner_unit_id
        ).exists():
            errors["owner_unit"] = _("A %(kind)s sits in a unit where its owner is a %(role)s.") % {
                "kind": plan.get_kind_display(),
                "role": Role(role).label,
            }
        if plan.level != level:
            errors["level"] = _("A %(kind)s sits at the level “%(level)s”.") % {
                "kind": plan.get_kind_display(),
                "level": Level(level).label,
            }
    if errors:
        raise ValidationError(errors)


def _validate_target(target: Target) -> None:
    errors = {}
    if target.plan.state in RETIRED_STATES:
        errors["plan"] = _(
            "The plan “%(plan)s” is retired or superseded; cite a plan in force."
        ) % {"plan": target.plan}
    if TargetCategory.level_of(target.category) != target.level:
        errors["category"] = _("This target type does not belong to the level “%(level)s”.") % {
            "level": target.get_level_display()
        }
    if target.baseline is not None and not target.indicator:
        errors["indicator"] = _("A baseline needs an indicator.")
    if errors:
        raise ValidationError(errors)


def _validate_standard_targets(targets) -> None:
    retired = [t.title for t in targets if t.state in RETIRED_STATES]
    if retired:
        raise ValidationError(
            {"targets": _("Retired targets cannot be served: %(t)s") % {"t": "、".join(retired)}}
        )


def default_reviewing_unit(item):
    """The office that reviews a college-level item unless one is chosen: the owner unit when it
    is an office, else a target's plan's reviewing office (None: the quality office reviews)."""
    if item.owner_unit.kind == OrgUnit.Kind.OFFICE:
        return item.owner_unit
    if isinstance(item, Target) and item.plan.owner_unit.kind == item.owner_unit.kind:
        return item.plan.reviewing_unit
    return None


def _validate(item, content: dict) -> dict:
    """Validate content applied to `item` (in memory); returns the cleaned extras."""
    extras = {}
    office = item.reviewing_unit
    if office is not None and office.kind != OrgUnit.Kind.OFFICE:
        raise ValidationError({"reviewing_unit": _("The reviewing unit must be an office.")})
    if isinstance(item, Plan):
        _validate_plan(item)
    elif isinstance(item, Target):
        _validate_target(item)
        extras["values"] = _clean_values(content.get("values", {}), item.plan)
    elif isinstance(item, Standard):
        ids = content.get("targets", [])
        targets = list(Target.objects.filter(pk__in=ids))
        if len(targets) != len(set(ids)):
            raise ValidationError({"targets": _("Some targets do not exist.")})
        _validate_standard_targets(targets)
        extras["targets"] = targets
    return extras


def _save_extras(item, content: dict, extras: dict) -> None:
    if isinstance(item, Target) and "values" in content:
        TargetValue.objects.filter(target=item).delete()
        TargetValue.objects.bulk_create(
            TargetValue(target=item, year=year, value=value)
            for year, value in sorted(extras["values"].items())
        )
    if isinstance(item, Standard) and "targets" in content:
        item.targets.set(extras["targets"])


# ---- creating and editing drafts ----


def _require_edit(actor, item):
    if not can_edit(actor, item):
        raise PermissionDenied


def _locked_draft(actor, item, refusal):
    """Lock an item its actor may edit and that is still a draft (or returned); `refusal` says
    why an item past that point answers 409."""
    item = _locked(item)
    _require_edit(actor, item)
    if item.state not in EDITABLE_STATES:
        raise StateConflict(refusal, allowed_transitions(item))
    return item


@transaction.atomic
def item_create(
    *,
    actor,
    model,
    owner_unit,
    content: dict,
    level=None,
    owner_user=None,
    reviewing_unit=None,
    **fixed,
):
    """Create a draft plan, target or standard from its content (see `item_content`)."""
    item = model(owner_unit=owner_unit, owner_user=owner_user, created_by=actor, **fixed)
    if level is not None:
        item.level = level
    _require_edit(actor, item)
    _assign(item, content)
    item.reviewing_unit = reviewing_unit or default_reviewing_unit(item)
    if isinstance(item, Target) and not item.level:
        item.level = TargetCategory.level_of(item.category)
    extras = _validate(item, content)
    item.save()
    _save_extras(item, content, extras)
    audit_record(
        actor=actor, action=f"{model._meta.model_name}.create", obj=item, after=item_content(item)
    )
    return item


def plan_create(*, actor, owner_unit, content, owner_user=None, level, reviewing_unit=None):
    return item_create(
        actor=actor,
        model=Plan,
        owner_unit=owner_unit,
        owner_user=owner_user,
        level=level,
        content=content,
        reviewing_unit=reviewing_unit,
    )


def target_create(*, actor, plan, content, owner_unit=None, reviewing_unit=None):
    return item_create(
        actor=actor,
        model=Target,
        owner_unit=owner_unit or plan.owner_unit,
        # A personal plan's targets are the person's own, to draft and to be measured by.
        owner_user=plan.owner_user,
        plan=plan,
        content=content,
        reviewing_unit=reviewing_unit,
    )


def standard_create(*, actor, owner_unit, level, content, reviewing_unit=None):
    return item_create(
        actor=actor,
        model=Standard,
        owner_unit=owner_unit,
        level=level,
        content=content,
        reviewing_unit=reviewing_unit,
    )


@transaction.atomic
def item_set_reviewing_unit(*, actor, item, office):
    """Choose which office reviews a college-level draft (None: the quality office)."""
    item = _locked_draft(
        actor, item, _("The reviewing office is chosen before the item is submitted.")
    )
    before = item.reviewing_unit_id
    item.reviewing_unit = office
    _validate(item, {})
    item.save(update_fields=["reviewing_unit", "updated_at"])
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.reviewing_unit",
        obj=item,
        before={"reviewing_unit": before},
        after={"reviewing_unit": item.reviewing_unit_id},
    )
    return item


@transaction.atomic
def item_update(*, actor, item, content: dict):
    item = _locked_draft(actor, item, _("An approved item changes only through a change request."))
    before = item_content(item)
    _assign(item, content)
    extras = _validate(item, content)
    item.save()
    _save_extras(item, content, extras)
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.update",
        obj=item,
        before=before,
        after=item_content(item),
    )
    return item


@transaction.atomic
def item_document_upload(*, actor, item, upload):
    """Upload a new version of a plan's or standard's document; earlier versions stay readable."""
    item = _locked_draft(
        actor, item, _("An approved item's document changes only through a change request.")
    )
    attachment = attachments.attach(actor=actor, obj=item, upload=upload)
    number = attachments.attachments_for(item).count()
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.document",
        obj=item,
        after={"document_version": number, "file": attachment.original_name},
    )
    return attachment


# ---- lifecycle ----


@transaction.atomic
def item_submit(*, actor, item):
    item = _locked(item)
    _require_edit(actor, item)
    if isinstance(item, Standard) and not item.targets.exists():
        raise ValidationError({"targets": _("A standard must serve at least one target.")})
    _fire(item, "submit", by=actor)
    item.save()
    flows.start_for(item)
    audit_record(actor=actor, action=f"{item._meta.model_name}.submit", obj=item)
    notices.review_needed(item, round_key=f"{item.committee_round}-{item.updated_at.timestamp()}")
    return item


@transaction.atomic
def item_review(*, actor, item, approve: bool, comment: str = ""):
    """The owning level's review: pass to the committee, or return with comments."""
    item = _locked(item)
    if not can_review(actor, item):
        raise PermissionDenied
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what must change before returning it.")})
    _fire(item, "review" if approve else "send_back", by=actor, description=comment)
    item.save()
    flows.complete_step(item, flows.REVIEW, actor)
    if approve:
        committee.committee_open(item)
    else:
        notices.returned(item, comment, round_key=f"review-{item.updated_at.timestamp()}")
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.{'review' if approve else 'return'}",
        obj=item,
        after={"comment": comment},
    )
    return item


@transaction.atomic
def item_delete(*, actor, item):
    """Delete a draft (or returned) item; anything that went further is only retired, through a
    change request, so its history stays."""
    item = _locked_draft(
        actor, item, _("Only a draft can be deleted; an item in force is retired by the committee.")
    )
    if isinstance(item, Plan) and (
        item.children.exists() or item.targets.exists() or item.tasks.exists()
    ):
        raise StateConflict(_("Delete or move the items that depend on this draft first."))
    if isinstance(item, Target) and item.standards.exists():
        raise StateConflict(_("Delete or move the items that depend on this draft first."))
    audit_record(
        actor=actor, action=f"{item._meta.model_name}.delete", obj=item, before=item_content(item)
    )
    item.approval_processes.all().delete()
    if isinstance(item, Target):
        item.values.all().delete()
    item.delete()


def _snapshot_version(item, change_request=None):
    data = item_content(item)
    return ItemVersion.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        number=item.version,
        data=data,
        display=content_display(type(item), data),
        change_request=change_request,
    )


@transaction.atomic
def committee_vote(*, actor, subject, approve: bool, comment: str = ""):
    """One committee member's vote (or changed vote) on an item awaiting approval or on a change
    request; the rules of the round are workflows.plans.committee's.

    The subject row is locked first, so two members voting at once are serialised and only one
    decision is recorded. Returns the CommitteeDecision when this vote decided the round, else
    None.
    """
    access.require(actor, PlanCap.DECIDE)
    subject = _locked(subject)
    is_change = isinstance(subject, ChangeRequest)
    waiting = ChangeState.SUBMITTED if is_change else ItemState.REVIEWED
    if subject.state != waiting:
        raise StateConflict(
            _("The committee has already decided this; nothing was recorded."),
            allowed_transitions(subject),
        )
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Give the committee's comments when returning.")})
    decision = committee.record_vote(actor=actor, subject=subject, approve=approve, comment=comment)
    return _settle(actor, subject, decision, comment)


def _settle(actor, subject, decision, comment: str = ""):
    """Decide the round when its outcome is certain (workflows.plans.committee.settle): the
    decision when this vote decided it, else None."""
    return decision if committee.settle(actor, subject, decision, comment) else None


def _committee_decided(actor, subject, decision, comment: str = "") -> None:
    """The committee decided a round on a plan item or a change request (its SubjectKind)."""
    if isinstance(subject, ChangeRequest):
        _decide_change(actor, subject, decision.approved, comment)
    else:
        _decide_item(actor, subject, decision.approved, comment)
    flows.complete_step(subject, flows.COMMITTEE, actor)


def committee_recount(*, actor=None) -> int:
    """Recount every open round (a member left the committee): a round that can no longer pass
    is decided now. Returns how many rounds were decided (workflows.plans.committee.recount)."""
    return committee.recount(actor=actor)


def register_committee_subjects() -> None:
    """Plans, targets, standards and change requests are subjects of the committee's vote."""
    for model in (Plan, Target, Standard, ChangeRequest):
        committee.register_subject(
            committee.SubjectKind(
                model=model,
                # a change request is decided in one round; an item each time it is reviewed
                round_of=(lambda s: 1) if model is ChangeRequest else (lambda s: s.committee_round),
                notify=notices.committee_needed,
                chair_capability=PlanCap.CHAIR,
                audit_prefix="plans",
                settle=_committee_decided,
                lock=_locked,
            )
        )


def _supersede(actor, old: Plan, *, by_plan: Plan):
    old = _locked(old)
    if old.state != ItemState.IN_FORCE:
        raise StateConflict(
            _("The plan to replace is no longer in force."), allowed_transitions(old)
        )
    _fire(old, "supersede", by=actor)
    old.save()
    audit_record(actor=actor, action="plan.supersede", obj=old, after={"by": by_plan.pk})


def _decide_item(actor, item, approved: bool, comment: str):
    if approved:
        _fire(item, "approve", by=actor)
        item.save()
        _snapshot_version(item)
        if isinstance(item, Plan) and item.replaces_id:
            _supersede(actor, item.replaces, by_plan=item)
    else:
        _fire(item, "send_back", by=actor, description=comment)
        item.save()
        notices.returned(item, comment, round_key=f"committee-{item.committee_round}")
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.{'approve' if approved else 'return'}",
        obj=item,
        after={"state": item.state, "version": item.version, "comment": comment},
    )


def _decide_change(actor, change: ChangeRequest, approved: bool, comment: str):
    change.decision_comment = comment
    if not approved:
        _fire(change, "reject", by=actor)
        change.save()
        audit_record(actor=actor, action="change.reject", obj=change, after={"comment": comment})
        return
    _fire(change, "approve", by=actor)
    change.save()
    item = _locked(change.item)
    if item.state != ItemState.IN_FORCE or item.version != change.base_version:
        raise StateConflict(_("The item changed since this request was made; file a new request."))
    if change.kind == ChangeKind.RETIRE:
        _fire(item, "retire", by=actor)
        item.save()
        audit_record(
            actor=actor,
            action=f"{item._meta.model_name}.retire",
            obj=item,
            after={"change_request": change.pk, "reason": change.reason},
        )
        return
    if change.kind == ChangeKind.SUPERSEDE:
        _fire(item, "supersede", by=actor)
        item.save()
        audit_record(
            actor=actor,
            action=f"{item._meta.model_name}.supersede",
            obj=item,
            after={"change_request": change.pk, "by": change.proposed.get("successor")},
        )
        return
    if change.kind == ChangeKind.TASKS:
        from . import imports

        imports.import_apply(
            actor=actor,
            pending_id=change.proposed["import"],
            retire_missing=change.proposed.get("retire_missing", False),
        )
        return
    before = item_content(item)
    _assign(item, change.proposed)
    extras = _validate(item, change.proposed)
    item.version += 1
    item.save()
    _save_extras(item, change.proposed, extras)
    _snapshot_version(item, change_request=change)
    audit_record(
        actor=actor,
        action=f"{item._meta.model_name}.change",
        obj=item,
        before=before,
        after=item_content(item),
    )


# ---- change requests ----


def change_effect(item) -> list[dict]:
    """The targets, standards, plans and tasks that depend on `item` (shown to the committee)."""
    effect = []
    if isinstance(item, Plan):
        for p in item.children.exclude(state__in=RETIRED_STATES).only("pk", "title"):
            effect.append({"kind": "plan", "id": p.pk, "title": p.title})
        for t in item.targets.exclude(state__in=RETIRED_STATES).only("pk", "title"):
            effect.append({"kind": "target", "id": t.pk, "title": t.title})
        for t in item.tasks.only("pk", "title"):
            effect.append({"kind": "task", "id": t.pk, "title": t.title})
    elif isinstance(item, Target):
        for s in item.standards.exclude(state__in=RETIRED_STATES).only("pk", "title"):
            effect.append({"kind": "standard", "id": s.pk, "title": s.title})
    return effect


def may_request_change(actor, item) -> bool:
    return can_edit(actor, item) or access.can(actor, PlanCap.ADMIN, item)


def _lock_in_force(actor, item):
    item = _locked(item)
    if not may_request_change(actor, item):
        raise PermissionDenied
    if item.state != ItemState.IN_FORCE:
        raise StateConflict(
            _("Only an item in force takes a change request; edit a draft directly."),
            allowed_transitions(item),
        )
    waiting = ChangeRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        state=ChangeState.SUBMITTED,
    ).first()
    if waiting is not None:
        raise StateConflict(
            _("The change request “%(c)s” on this item awaits the committee's decision.")
            % {"c": waiting.summary}
        )
    return item


def _file_change(actor, item, *, kind, summary, reason, proposed, before, after):
    change = ChangeRequest.objects.create(
        content_type=ContentType.objects.get_for_model(item),
        object_id=item.pk,
        kind=kind,
        summary=summary,
        reason=reason,
        proposed=proposed,
        before=before,
        after=after,
        effect=change_effect(item),
        base_version=item.version,
        requested_by=actor,
    )
    flows.start_for(change)
    audit_record(
        actor=actor,
        action="change.create",
        obj=change,
        after={"kind": kind, "reason": reason, "proposed": proposed},
    )
    committee.committee_open(change)
    return change


@transaction.atomic
def change_request_create(*, actor, item, summary: str, reason: str, proposed: dict):
    """Propose new content for an item in force; the committee decides."""
    item = _lock_in_force(actor, item)
    if not summary.strip() or not reason.strip():
        raise ValidationError({"reason": _("Say what changes and why.")})
    current = item_content(item)
    proposed = {k: v for k, v in normalise(item, proposed).items() if k in current}
    changed = {k: v for k, v in proposed.items() if v != current[k]}
    if not changed:
        raise ValidationError({"proposed": _("The proposal does not change anything.")})
    probe = type(item).objects.get(pk=item.pk)
    _assign(probe, proposed)
    _validate(probe, proposed)
    model = type(item)
    return _file_change(
        actor,
        item,
        kind=ChangeKind.EDIT,
        summary=summary,
        reason=reason,
        proposed=proposed,
        before=_snapshot(model, {k: current[k] for k in changed}),
        after=_snapshot(model, changed),
    )


def _state_entry(model, state) -> dict:
    return {"raw": state, "display": str(ItemState(state).label)}


@transaction.atomic
def item_end_request(*, actor, item, reason: str, successor=None):
    """Ask the committee to retire an item in force, or to mark it superseded by `successor`
    (an item of the same type). The item stays in force until the committee approves."""
    item = _lock_in_force(actor, item)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item should end.")})
    model = type(item)
    before = {"state": _state_entry(model, ItemState.IN_FORCE)}
    if successor is None:
        kind, target_state, proposed = ChangeKind.RETIRE, ItemState.RETIRED, {}
        summary = _("Retire “%(item)s”") % {"item": item}
        after = {"state": _state_entry(model, target_state)}
    else:
        if (
            type(successor) is not model
            or successor.pk == item.pk
            or successor.state in RETIRED_STATES
        ):
            raise ValidationError(
                {"successor": _("The successor must be another item of the same type, not ended.")}
            )
        kind, target_state = ChangeKind.SUPERSEDE, ItemState.SUPERSEDED
        proposed = {"successor": successor.pk}
        summary = _("Replace “%(item)s” by “%(new)s”") % {"item": item, "new": successor}
        after = {
            "state": _state_entry(model, target_state),
            "successor": {"raw": successor.pk, "display": str(successor)},
        }
        before["successor"] = {"raw": None, "display": ""}
    return _file_change(
        actor,
        item,
        kind=kind,
        summary=summary,
        reason=reason,
        proposed=proposed,
        before=before,
        after=after,
    )


def change_rows(change: ChangeRequest) -> list[dict]:
    """What a change request changes, from its own record: [{field, before, after}].

    Requests made before the record existed read their before-content from the version they
    were based on, never from the live item."""
    from .selectors import field_label

    item_model = change.content_type.model_class()
    before, after = change.before, change.after
    if not before and not after and change.kind == ChangeKind.EDIT:
        base = ItemVersion.objects.filter(
            content_type=change.content_type,
            object_id=change.object_id,
            number=change.base_version,
        ).first()
        old = base.data if base else {}
        keys = [k for k, v in change.proposed.items() if old.get(k) != v]
        before = _snapshot(item_model, {k: old.get(k) for k in keys})
        after = _snapshot(item_model, {k: change.proposed[k] for k in keys})
    rows = []
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        rows.append(
            {
                "key": key,
                "field": field_label(item_model, key),
                "before": before.get(key, {}).get("display", ""),
                "after": after.get(key, {}).get("display", ""),
            }
        )
    return rows


# ---- tasks ----


def _validate_task(task: Task) -> None:
    if task.deadline and not (task.plan.period_start <= task.deadline <= task.plan.period_end):
        raise ValidationError(
            {
                "deadline": _("The deadline %(d)s is outside the plan period %(p)s.")
                % {"d": task.deadline, "p": task.plan.period_label}
            }
        )
    if task.plan.state in RETIRED_STATES:
        raise ValidationError({"plan": _("The plan is retired or superseded.")})
    if task.plan.state == ItemState.IN_FORCE:
        raise ValidationError({"plan": str(IN_FORCE_MESSAGE)})


def task_key(category: str, title: str, deliverable: str) -> str:
    import hashlib

    raw = "\x1f".join(" ".join(s.split()) for s in (category, title, deliverable))
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def task_create(*, actor, plan, category, title, deliverable, lead_unit=None, assisting=(), **rest):
    if not can_edit(actor, plan):
        raise PermissionDenied
    task = Task(
        plan=plan,
        category=category,
        title=title,
        deliverable=deliverable,
        lead_unit=lead_unit,
        lead_unit_name=lead_unit.name if lead_unit else "",
        import_key=task_key(category, title, deliverable),
        position=(plan.tasks.count() + 1),
        **rest,
    )
    _validate_task(task)
    if Task.objects.filter(plan=plan, import_key=task.import_key).exists():
        raise ValidationError({"title": _("This plan already has this task and deliverable.")})
    task.save()
    task.assisting_units.set(assisting)
    task_deadline_sync(task)
    steps.start(task)
    notices.task_assigned(task)
    audit_record(actor=actor, action="task.create", obj=task, after={"title": title})
    return task


TASK_DEADLINE = "plan.task"
deadlines.register_kind(TASK_DEADLINE, label=gettext_lazy("Plan task"))


def _deadline_due(task: Task):
    """When the task's deadline falls due under the engine's ladder, or None if it has none."""
    if task.state == TaskState.OPEN and task.deadline and task.lead_unit_id:
        return timezone.make_aware(datetime.datetime.combine(task.deadline, datetime.time.max))
    return None


def task_deadline_sync(task: Task) -> None:
    """Put the task's deadline under the engine's reminder and escalation ladder."""
    due_at = _deadline_due(task)
    if due_at is not None:
        deadlines.deadline_start(
            obj=task,
            kind=TASK_DEADLINE,
            owner_unit=task.lead_unit,
            owner_user=task.person,
            due_at=due_at,
        )
    else:
        deadlines.deadline_cancel(obj=task, kind=TASK_DEADLINE)


def tasks_deadline_sync(tasks, *, new: bool = False) -> int:
    """`task_deadline_sync` for many tasks in a constant number of queries (imports).

    `new`: the tasks were just created, so none has a deadline to cancel. Returns how many
    deadlines were started."""
    tasks = list(tasks)
    if not tasks:
        return 0
    units = OrgUnit.objects.in_bulk({t.lead_unit_id for t in tasks if t.lead_unit_id})
    people = get_user_model().objects.in_bulk({t.person_id for t in tasks if t.person_id})
    specs, dropped = [], []
    for task in tasks:
        due_at = _deadline_due(task)
        if due_at is None:
            dropped.append(task)
            continue
        specs.append(
            deadlines.DeadlineSpec(
                obj=task,
                owner_unit=units[task.lead_unit_id],
                owner_user=people.get(task.person_id),
                due_at=due_at,
            )
        )
    deadlines.deadline_start_many(kind=TASK_DEADLINE, specs=specs)
    if not new:
        for task in dropped:  # a re-import that removed a deadline: rare, one update each
            deadlines.deadline_cancel(obj=task, kind=TASK_DEADLINE)
    return len(specs)


@transaction.atomic
def task_add_evidence(*, actor, task, upload):
    task = _locked(task)
    if not can_work_task(actor, task):
        raise PermissionDenied
    attachment = attachments.attach(actor=actor, obj=task, upload=upload)
    audit_record(
        actor=actor, action="task.evidence", obj=task, after={"file": attachment.original_name}
    )
    return attachment


@transaction.atomic
def task_complete(*, actor, task):
    task = _locked(task)
    if not can_work_task(actor, task):
        raise PermissionDenied
    if not attachments.attachments_for(task).exists():
        raise ValidationError({"evidence": _("Upload the deliverable as evidence first.")})
    _fire(task, "complete", by=actor)
    task.save()
    deadlines.deadline_complete(obj=task, kind=TASK_DEADLINE)
    steps.advance(task, actor=actor, outcome="done")
    audit_record(actor=actor, action="task.complete", obj=task, after={"state": TaskState.DONE})
    return task
