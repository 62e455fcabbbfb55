from django.contrib import admin

from .models import (
    ChangeRequest,
    CommitteeDecision,
    CommitteeRule,
    ItemVersion,
    Plan,
    Standard,
    Target,
    TargetValue,
    Task,
)


class TargetValueInline(admin.TabularInline):
    model = TargetValue
    extra = 0


@admin.register(CommitteeRule)
class CommitteeRuleAdmin(admin.ModelAdmin):
    list_display = ("quorum", "require_chair", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lifecycle changes go through the services (and their audit rows), never the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "kind",
        "tier",
        "owner_unit",
        "start_year",
        "end_year",
        "state",
        "version",
    )
    list_filter = ("tier", "kind", "state")
    search_fields = ("title",)


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ("title", "level", "category", "plan", "state", "version")
    list_filter = ("level", "state")
    search_fields = ("title", "indicator")
    inlines = [TargetValueInline]


@admin.register(Standard)
class StandardAdmin(ReadOnlyAdmin):
    list_display = ("title", "level", "owner_unit", "state", "version")
    list_filter = ("level", "state")
    search_fields = ("title",)


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "lead_unit", "deadline", "state")
    list_filter = ("state", "category")
    search_fields = ("title", "deliverable")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("summary", "kind", "content_type", "object_id", "state", "requested_at")
    list_filter = ("state", "kind")


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = ("content_type", "object_id", "number", "approved_at")


@admin.register(CommitteeDecision)
class CommitteeDecisionAdmin(ReadOnlyAdmin):
    list_display = ("content_type", "object_id", "round", "approved", "decided_at")
