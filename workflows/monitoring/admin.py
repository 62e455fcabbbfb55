from django.contrib import admin

from .models import Indicator, Period, StageGate


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
    raw_id_fields = ["approver"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "start", "end", "is_open"]
    list_filter = ["kind", "is_open"]


@admin.register(StageGate)
class StageGateAdmin(admin.ModelAdmin):
    list_display = ["level", "stage", "kind", "label"]
    list_filter = ["level", "stage", "kind"]
