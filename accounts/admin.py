from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from .admin_audit import AuditedAdminMixin, AuditedModelAdmin
from .audit import hidden_content_types
from .models import ApiToken, AuditEntry, GrantableRole, LoginThrottle, Membership, OrgUnit, User


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

    def user_change_password(self, request, id, form_url=""):
        """A password set here is an admin edit too: audited (without the hash), in one
        transaction with the change."""
        from django.db import transaction

        from .audit import audit_record

        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                audit_record(actor=request.user, action="user.password_set", obj=user)
        return response


class OrgUnitAdminForm(MoveNodeForm):
    """Tells the unit where it is going before its kind is checked against its parent."""

    def _post_clean(self):
        ref = self.cleaned_data.get("treebeard_ref_node")
        position = self.cleaned_data.get("treebeard_position")
        if ref is None:
            self.instance._pending_parent = None
        elif position in ("first-child", "last-child", "sorted-child"):
            self.instance._pending_parent = ref
        else:
            self.instance._pending_parent = OrgUnit.objects.get_parent(ref)
        super()._post_clean()


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdminMixin, TreeAdmin):
    audit_name = "orgunit"
    form = movenodeform_factory(
        OrgUnit, form=OrgUnitAdminForm, exclude=["path", "depth", "numchild"]
    )
    list_display = ["name", "code", "kind", "is_active", "closed_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]

    def move_node(self, request):
        """Drag-and-drop in the tree goes through the service, so the kind rules hold and the
        move is audited like one made on the unit pages."""
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.db import transaction
        from django.http import HttpResponse, HttpResponseBadRequest

        from . import services

        node = OrgUnit.objects.filter(pk=request.POST.get("node") or None).first()
        target = OrgUnit.objects.filter(pk=request.POST.get("target") or None).first()
        relation = request.POST.get("relation")
        if node is None or target is None or relation not in ("child", "sibling"):
            return HttpResponseBadRequest("Invalid form data provided")
        parent = target if relation == "child" else OrgUnit.objects.get_parent(target)
        if parent is None:
            messages.error(request, _("A unit of this kind needs a parent unit."))
            return HttpResponseBadRequest("no parent")
        try:
            with transaction.atomic():
                node = services.org_unit_move(actor=request.user, unit=node, parent=parent)
                if relation == "sibling":
                    OrgUnit.objects.move(node, target, pos="left")
                    from engine import steps

                    steps.seats_changed()
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return HttpResponseBadRequest("refused")
        return HttpResponse("OK")


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    audit_name = "membership"
    list_display = ["user", "role", "org_unit", "created_at"]
    list_filter = ["role", "org_unit__kind"]
    search_fields = ["user__username", "user__full_name", "org_unit__name"]
    autocomplete_fields = ["user", "org_unit"]
    list_select_related = ["user", "org_unit"]


@admin.register(GrantableRole)
class GrantableRoleAdmin(AuditedModelAdmin):
    list_display = ["granter_role", "role"]
    list_filter = ["granter_role"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action_name", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["action", "object_repr", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, entry):
        return entry.action_display

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
class LoginThrottleAdmin(AuditedModelAdmin):
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


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Who holds which API token. Keys are never shown (only a hash is kept); an administrator
    revokes a token of someone who left through the action."""

    audit_name = "api_token"
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "user__full_name", "prefix"]
    list_select_related = ["user"]
    readonly_fields = list_display
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from django.utils import timezone

        from .audit import audit_record

        for token in queryset.filter(revoked_at__isnull=True):
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=request.user, action="accounts.api_token.revoke", obj=token)
