from django.contrib import admin

from .models import Duty, DutyQuota, FormVersion, Observation, ObservationForm, ObservationReply


class FormVersionInline(admin.TabularInline):
    """Versions are made by the quality office's form editor (services.form_version_save)."""

    model = FormVersion
    fields = ["number", "note", "course_indicator", "teacher_indicator", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ObservationForm)
class ObservationFormAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]
    inlines = [FormVersionInline]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    """Read-only: an observation is written once, by its observer."""

    list_display = ["observed_at", "course", "teacher_name", "observer", "total_score", "case"]
    list_filter = ["kind"]
    search_fields = ["teacher_name", "course__name", "observer__full_name"]
    raw_id_fields = ["course", "observer", "teacher", "version", "case"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ObservationReply)
class ObservationReplyAdmin(admin.ModelAdmin):
    list_display = ["observation", "author", "created_at"]
    raw_id_fields = ["observation", "author"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DutyQuota)
class DutyQuotaAdmin(admin.ModelAdmin):
    list_display = ["role", "count", "per", "is_active"]


@admin.register(Duty)
class DutyAdmin(admin.ModelAdmin):
    list_display = ["observer", "label", "done", "required", "unit"]
    list_filter = ["quota"]
    raw_id_fields = ["observer", "unit", "quota"]
