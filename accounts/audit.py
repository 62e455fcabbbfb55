"""Writing the audit trail. Services call `audit_record` inside their own transaction."""

import contextvars
import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from .models import AuditEntry

request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_ip", default=None)


def snapshot(obj, fields=None) -> dict:
    """A JSON-safe picture of a model instance for before/after."""
    data = model_to_dict(obj, fields=fields)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def _entry(*, actor, action: str, obj=None, before=None, after=None, record_ip=True):
    return AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        ip=request_ip.get() if record_ip else None,
    )


def audit_record(*, actor, action: str, obj=None, before=None, after=None, record_ip=True):
    """Append one row. `record_ip=False` for items whose author must stay unidentifiable.
    Inside an `engine.write_batch.batch()` the row goes with the next statement (no pk then)."""
    from engine import write_batch

    entry = _entry(
        actor=actor, action=action, obj=obj, before=before, after=after, record_ip=record_ip
    )
    write_batch.insert(entry)
    return entry


def audit_record_many(records) -> list:
    """Append many rows in one insert (a sweep's steps): `records` are the keyword arguments
    `audit_record` takes, one dict per row, in order."""
    return AuditEntry.objects.bulk_create([_entry(**record) for record in records])


# Models whose audit rows only some people may read (e.g. the discipline office's reports): the
# audit trail page and its admin list leave them out for everyone else.
_CONFIDENTIAL: dict[type, object] = {}


def register_confidential(model, can_view) -> None:
    """`can_view(user) -> bool` says who may see the audit rows of `model` (call from ready())."""
    _CONFIDENTIAL[model] = can_view


# Rows confidential by what they say rather than by their model (a message answering a
# complainant who hid their identity): `is_confidential(obj) -> bool`; nobody may see those.
_CONFIDENTIAL_ROWS: dict[type, object] = {}


def register_confidential_rows(model, is_confidential) -> None:
    _CONFIDENTIAL_ROWS[model] = is_confidential


def hidden_content_types(user) -> list[int]:
    """Content type ids of confidential models whose rows `user` may not see."""
    return [
        ContentType.objects.get_for_model(model).pk
        for model, can_view in _CONFIDENTIAL.items()
        if not can_view(user)
    ]


def is_hidden_from(user, obj, hidden: list[int] | None = None) -> bool:
    """Is `obj` a confidential row, or a row about one (a generic link or an object permission),
    that `user` may not see?"""
    is_confidential = _CONFIDENTIAL_ROWS.get(type(obj))
    if is_confidential is not None and is_confidential(obj):
        return True
    hidden = hidden_content_types(user) if hidden is None else hidden
    if not hidden:
        return False
    if ContentType.objects.get_for_model(obj).pk in hidden:
        return True
    if getattr(obj, "content_type_id", None) in hidden:
        return True
    target = getattr(obj, "content_object", None)
    return target is not None and ContentType.objects.get_for_model(target).pk in hidden
