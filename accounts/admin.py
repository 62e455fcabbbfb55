from itertools import chain

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import router
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .audit import audit_record, hidden_content_types, is_hidden_from, snapshot
from .models import AuditEntry, LoginThrottle, Membership, OrgUnit, User


class AuditedAdminMixin:
    """Admin edits are business operations too: each one leaves an audit row."""

    audit_name = ""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=f"{self.audit_name}.{'change' if change else 'create'}",
            obj=obj,
            before=before,
            after=snapshot(obj),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user, action=f"{self.audit_name}.delete", obj=obj, before=snapshot(obj)
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["org_unit"]


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    audit_name = "user"
    list_display = ["username", "full_name", "staff_no", "email", "is_active", "last_login"]
    search_fields = ["username", "full_name", "staff_no", "email"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "staff_no", "email", "phone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdminMixin, TreeAdmin):
    audit_name = "orgunit"
    form = movenodeform_factory(OrgUnit, exclude=["path", "depth", "numchild"])
    list_display = ["name", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_name = "membership"
    list_display = ["user", "role", "org_unit", "created_at"]
    list_filter = ["role", "org_unit__kind"]
    search_fields = ["user__username", "user__full_name", "org_unit__name"]
    autocomplete_fields = ["user", "org_unit"]
    list_select_related = ["user", "org_unit"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["action", "object_repr", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(content_type__in=hidden_content_types(request.user))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LoginThrottle)
class LoginThrottleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Who is being slowed down, from where. Deleting a row lifts the wait at once (for a
    person who remembered their password but must not wait for the clock)."""

    audit_name = "login_throttle"
    list_display = ["username", "address", "failures", "wait_until", "last_failure_at"]
    search_fields = ["username", "address"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
