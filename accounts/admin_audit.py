"""The one audit mechanism of the Django admin.

Every add, change (form or list-editable), delete (one or bulk) and inline row the admin writes
leaves an audit row with before/after, inside the admin's own transaction (Django wraps
`changeform_view`, `changelist_view` and `delete_view` in `transaction.atomic`).

`config.admin.SiteAdmin.register` puts `AuditedAdminMixin` under every ModelAdmin registered on
the site, so a new admin class is audited without opting in; inherit `AuditedModelAdmin` to
say so explicitly.
"""

from itertools import chain

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.utils.translation import gettext_lazy as _

from .audit import audit_record, hidden_content_types, is_hidden_from, snapshot

# Never copied into an audit row, whichever model has them.
ALWAYS_EXCLUDED = frozenset({"password", "code_hash", "webhook_secret"})


def audit_fields(model, excluded=()) -> list[str]:
    """The fields of `model` an audit snapshot shows: concrete and many-to-many fields, minus
    secrets and whatever the admin keeps off its pages."""
    skip = ALWAYS_EXCLUDED | set(excluded)
    return [
        f.name
        for f in chain(model._meta.concrete_fields, model._meta.many_to_many)
        if f.name not in skip
    ]


def audit_snapshot(obj, excluded=()) -> dict:
    return snapshot(obj, fields=audit_fields(type(obj), excluded))


def _fresh(obj):
    """The row as stored (the form has already copied the new values onto `obj`)."""
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


class AuditedAdminMixin:
    """Admin edits are business operations too: each one leaves an audit row.

    `audit_name` prefixes the action (default: the model name, e.g. "matrixcell.change");
    `audit_exclude` names fields kept out of snapshots, on top of the admin's own `exclude`
    (a field the admin hides, such as a case's hidden reporter, is not written to the trail)."""

    audit_name = ""
    audit_exclude: tuple[str, ...] = ()

    def _audit_action(self, model, verb: str) -> str:
        name = (
            self.audit_name if model is self.model and self.audit_name else model._meta.model_name
        )
        return f"{name}.{verb}"

    def _audit_excluded(self, model) -> set[str]:
        if model is self.model:
            return set(self.exclude or ()) | set(self.audit_exclude)
        for inline in self.inlines:
            if inline.model is model:
                return set(inline.exclude or ()) | set(getattr(inline, "audit_exclude", ()))
        return set()

    def _audit_snapshot(self, obj) -> dict:
        return audit_snapshot(obj, self._audit_excluded(type(obj)))

    def save_model(self, request, obj, form, change):
        stored = _fresh(obj) if change else None
        before = self._audit_snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)
        # the admin instance serves every request: what is pending belongs on the request
        request._audited_save = (obj, before, change)

    def save_related(self, request, form, formsets, change):
        """Many-to-many fields are saved here, after save_model: the main row's "after" is taken
        once they are in place."""
        super().save_related(request, form, formsets, change)
        pending = getattr(request, "_audited_save", None)
        request._audited_save = None
        if pending is not None:
            self._audit_saved(request, *pending)

    def _audit_saved(self, request, obj, before, change):
        after = self._audit_snapshot(obj)
        if change and before == after:
            return
        audit_record(
            actor=request.user,
            action=self._audit_action(type(obj), "change" if change else "create"),
            obj=obj,
            before=before,
            after=after,
        )

    def save_formset(self, request, form, formset, change):
        befores = {}
        for inline_form in formset.initial_forms:
            stored = _fresh(inline_form.instance)
            if stored is not None:
                befores[stored.pk] = self._audit_snapshot(stored)
        deleted = [
            (f.instance, befores.get(f.instance.pk))
            for f in formset.initial_forms
            if f in formset.deleted_forms
        ]
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(
                actor=request.user,
                action=self._audit_action(type(obj), "create"),
                obj=obj,
                after=self._audit_snapshot(obj),
            )
        for obj, _fields in formset.changed_objects:
            audit_record(
                actor=request.user,
                action=self._audit_action(type(obj), "change"),
                obj=obj,
                before=befores.get(obj.pk),
                after=self._audit_snapshot(obj),
            )
        for obj, before in deleted:
            audit_record(
                actor=request.user,
                action=self._audit_action(type(obj), "delete"),
                obj=obj,
                before=before,
            )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action=self._audit_action(type(obj), "delete"),
            obj=obj,
            before=self._audit_snapshot(obj),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """Bulk deletion deletes row by row, so each row leaves its own audit row."""
        for obj in queryset:
            self.delete_model(request, obj)

    def get_deleted_objects(self, objs, request):
        """The "delete" confirmation lists every related row; when some of them are confidential
        (e.g. a discipline report's notifications), say nothing about them and refuse."""
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        hidden = hidden_content_types(request.user)
        related = chain.from_iterable(collector.data.values())
        if any(
            is_hidden_from(request.user, o, hidden) for o in chain(related, collector.protected)
        ):
            return [], {}, {_("restricted records")}, []
        return super().get_deleted_objects(objs, request)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The base of the project's admin classes."""
