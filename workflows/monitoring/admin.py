from django.contrib import admin

from .models import (
    Cycle,
    CycleDecision,
    CycleStandard,
    CycleTarget,
    DecisionKind,
    Indicator,
    Period,
    StageGate,
)


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "level",
        "direction",
        "target_value",
        "yellow_threshold",
        "red_threshold",
        "data_owner_unit",
        "is_active",
    ]
    list_filter = ["level", "direction", "period_kind", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["approver", "plan_target", "plan_standard"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "start", "end", "is_open"]
    list_filter = ["kind", "is_open"]


@admin.register(StageGate)
class StageGateAdmin(admin.ModelAdmin):
    list_display = ["level", "stage", "kind", "label", "period_kind"]
    list_filter = ["level", "stage", "kind", "period_kind"]


class CycleTargetInline(admin.TabularInline):
    model = CycleTarget
    raw_id_fields = ["target"]
    extra = 0


class CycleStandardInline(admin.TabularInline):
    model = CycleStandard
    raw_id_fields = ["standard"]
    extra = 0


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    """Read-only stage: a cycle changes stage through its transitions only (services)."""

    list_display = ["subject", "period", "level", "stage", "stage_changed_at"]
    list_filter = ["level", "stage", "period"]
    search_fields = ["subject__name"]
    raw_id_fields = ["subject", "previous", "responsible_unit"]
    readonly_fields = ["stage", "stage_changed_at"]
    inlines = [CycleTargetInline, CycleStandardInline]

    # Cycles are opened per period by the quality office's opening (services.period_open).
    def has_add_permission(self, request):
        return False


@admin.register(DecisionKind)
class DecisionKindAdmin(admin.ModelAdmin):
    """The kinds of rewards, training and measures recorded on a cycle's large loop, and who
    decides each: the shipped rows are the college's defaults (the seeds do not say), edit
    them here."""

    list_display = ["name", "code", "stage", "level", "decider", "is_active"]
    list_filter = ["stage", "level", "decider", "is_active"]


@admin.register(CycleDecision)
class CycleDecisionAdmin(admin.ModelAdmin):
    """Read-only: proposed and decided on the cycle page (workflows.monitoring.decisions)."""

    list_display = ["title", "kind", "cycle", "status", "proposed_by", "decided_by"]
    list_filter = ["stage", "status", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
