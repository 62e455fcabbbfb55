from django.contrib import admin

from .models import (
    Catalogue,
    CatalogueElement,
    CatalogueItem,
    CataloguePoint,
    PersonalReport,
    ReviewConclusion,
    ReviewRound,
    SanctionDecision,
    SanctionFlag,
    SelfDiagnosisReport,
)


class ItemInline(admin.TabularInline):
    model = CatalogueItem
    extra = 0


@admin.register(Catalogue)
class CatalogueAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "status", "person_level"]
    list_filter = ["status", "person_level"]
    inlines = [ItemInline]


class ElementInline(admin.TabularInline):
    model = CatalogueElement
    fields = ["number", "title", "order"]
    extra = 0


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ["catalogue", "number", "title"]
    list_filter = ["catalogue"]
    inlines = [ElementInline]


class PointInline(admin.TabularInline):
    model = CataloguePoint
    extra = 0


@admin.register(CatalogueElement)
class CatalogueElementAdmin(admin.ModelAdmin):
    list_display = ["catalogue", "number", "title"]
    list_filter = ["catalogue"]
    fields = ["item", "number", "title", "order"]
    inlines = [PointInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lifecycle objects change through their services (audited), never by hand."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SelfDiagnosisReport)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["title", "org_unit", "period", "status", "catalogue"]
    list_filter = ["status", "catalogue"]


@admin.register(ReviewRound)
class RoundAdmin(ReadOnlyAdmin):
    list_display = ["name", "review_start", "disclosure_deadline", "published_at", "status"]
    list_filter = ["status"]


@admin.register(ReviewConclusion)
class ConclusionAdmin(ReadOnlyAdmin):
    list_display = ["report", "round", "matched", "total", "conclusion"]
    list_filter = ["conclusion"]


@admin.register(SanctionFlag)
class SanctionFlagAdmin(ReadOnlyAdmin):
    list_display = ["org_unit", "reason", "created_at"]
    list_filter = ["reason"]


@admin.register(SanctionDecision)
class SanctionDecisionAdmin(ReadOnlyAdmin):
    list_display = ["flag", "measure", "approved_by", "approved_at"]


@admin.register(PersonalReport)
class PersonalReportAdmin(admin.ModelAdmin):
    """Read-only: a personal report is written by its person and approved through the
    services (workflows.review.personal), which log and audit every step."""

    list_display = ["title", "person", "level", "status", "approved_by", "approved_at"]
    list_filter = ["level", "status"]
    search_fields = ["title", "person__full_name", "person__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
