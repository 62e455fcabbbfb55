"""Questionnaires are edited here (sections and questions as data). Responses and answers are
not listed at all: even the administrator reads only aggregated results on the pages."""

from django.contrib import admin

from .models import CourseSection, Enrolment, Question, Questionnaire, Section, Survey


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "title"]
    inlines = [SectionInline]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    raw_id_fields = ["indicator"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "position", "title"]
    list_filter = ["questionnaire"]
    inlines = [QuestionInline]


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    raw_id_fields = ["student"]


@admin.register(CourseSection)
class CourseSectionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "course", "period", "teacher"]
    list_filter = ["period"]
    search_fields = ["code", "name", "course__name"]
    raw_id_fields = ["course", "teacher"]
    inlines = [EnrolmentInline]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Status, distribution and close go through the pages (services), never here."""

    list_display = ["title", "questionnaire", "period", "audience", "unit", "status", "closes_on"]
    list_filter = ["status", "audience", "period"]
    readonly_fields = ["status", "opened_at", "closed_at", "reminders_sent", "readings_batch"]
    raw_id_fields = ["unit", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
