"""Django admin for reports: read-only, and only for discipline officers (asked through the
access layer, never the superuser flag). Engine admin lists that would show that reports exist
(their attachments, their notifications' deliveries) leave report rows out for everyone else."""

from django.contrib import admin

from accounts import access
from accounts.audit import hidden_content_types
from engine import admin as engine_admin
from engine.models import Attachment

from . import capabilities as caps
from .models import Report, ReportAddition, ReportNote, ReportStage


class OfficeOnlyAdmin(admin.ModelAdmin):
    def _office(self, request):
        return access.has_capability(request.user, caps.REPORT_VIEW)

    def has_module_permission(self, request):
        return self._office(request)

    def has_view_permission(self, request, obj=None):
        return self._office(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StageInline(admin.TabularInline):
    model = ReportStage
    extra = 0
    can_delete = False
    readonly_fields = ["status", "at"]

    has_view_permission = OfficeOnlyAdmin.has_view_permission
    _office = OfficeOnlyAdmin._office

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(OfficeOnlyAdmin):
    list_display = ["number", "status", "subject", "about", "is_anonymous", "is_spam", "created_at"]
    list_filter = ["status", "subject", "is_spam", "is_anonymous"]
    search_fields = ["number", "about"]
    exclude = ["code_hash"]
    inlines = [StageInline]


@admin.register(ReportAddition)
class ReportAdditionAdmin(OfficeOnlyAdmin):
    list_display = ["report", "created_at"]


@admin.register(ReportNote)
class ReportNoteAdmin(OfficeOnlyAdmin):
    list_display = ["report", "author", "created_at"]


class AttachmentAdmin(engine_admin.AttachmentAdmin):
    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(content_type__in=hidden_content_types(request.user))
        )


if admin.site.is_registered(Attachment):
    admin.site.unregister(Attachment)
admin.site.register(Attachment, AttachmentAdmin)
