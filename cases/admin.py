from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Case, Category, Grade, MatrixCell, Notice, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "parent", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["parent", "is_active"]


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "is_active"]
    list_editable = ["rank", "is_active"]


@admin.register(MatrixCell)
class MatrixCellAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "grade",
        "acceptance_days",
        "investigation_days",
        "rectification_days",
        "approver",
        "inform_committee",
        "inform_discipline",
    ]
    list_editable = [
        "acceptance_days",
        "investigation_days",
        "rectification_days",
        "approver",
        "inform_committee",
        "inform_discipline",
    ]
    list_filter = ["grade", "category__parent", "approver"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "unit_kind",
        "several_departments",
        "min_grade",
        "target",
        "is_active",
    ]
    list_display_links = ["name"]
    list_editable = ["order", "target", "is_active"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through their services (and their audit trail)."""

    list_display = ["number", "title", "kind", "status", "accepting_unit", "created_at"]
    list_filter = ["status", "kind", "grade"]
    search_fields = ["number", "title"]
    list_select_related = ["accepting_unit"]
    # the reporter is shown as the case pages show it to someone outside the case: a hidden
    # reporter stays hidden from whoever administers the site
    exclude = ["reporter"]
    readonly_fields = ["reporter_shown"]

    @admin.display(description=_("reporter"))
    def reporter_shown(self, obj):
        if obj.reporter_id is None:
            return _("Anonymous")
        return _("(hidden)") if obj.reporter_hidden else str(obj.reporter)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["number", "case", "recipient_unit", "status", "due_at", "escalated"]
    list_filter = ["status", "escalated"]
    search_fields = ["number"]
    list_select_related = ["case", "recipient_unit"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
