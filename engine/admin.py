from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.audit import hidden_content_types

from . import notifications, services
from .models import (
    Attachment,
    CalendarDay,
    Deadline,
    Delivery,
    EscalationRule,
    MessageTemplate,
    NotificationPreference,
    Term,
)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end", "teaching_weeks"]
    inlines = [CalendarDayInline]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "term"]
    list_filter = ["kind", "term"]
    date_hierarchy = "date"


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "kind",
        "remind_before",
        "leader_after",
        "college_after",
        "college_target",
        "is_active",
    ]
    list_editable = ["is_active"]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "content_type",
        "object_id",
        "owner_unit",
        "due_at",
        "status",
        "escalation_level",
    ]
    list_filter = ["status", "kind", "escalation_level"]
    list_select_related = ["owner_unit", "content_type"]
    readonly_fields = ["content_type", "object_id", "next_action_at", "closed_at"]

    def has_add_permission(self, request):
        """A deadline belongs to the object whose workflow started it (its content type is
        read-only here), so it is never added by hand."""
        return False


@admin.action(description=_("Retry now"))
def retry_deliveries(modeladmin, request, queryset):
    try:
        count = services.delivery_retry(actor=request.user, deliveries=list(queryset))
    except PermissionDenied:
        messages.error(request, _("You may not retry deliveries."))
        return
    messages.success(request, _("%(n)d deliveries queued again.") % {"n": count})


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "notification",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "channel"]
    list_select_related = ["notification"]
    actions = [retry_deliveries]
    readonly_fields = ["notification", "channel", "target", "attempts", "sent_at", "last_error"]

    def get_queryset(self, request):
        """Not the messages of confidential kinds (their recipient is theirs to tell), nor those
        about confidential objects the administrator may not see."""
        return (
            super()
            .get_queryset(request)
            .exclude(notification__kind__in=notifications.confidential_kinds())
            .exclude(notification__content_type__in=hidden_content_types(request.user))
        )

    def has_add_permission(self, request):
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["kind", "title", "is_active"]
    list_editable = ["is_active"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            from django import forms

            choices = [(k.kind, f"{k.label} ({k.kind})") for k in notifications.user_kinds()]
            return forms.ChoiceField(choices=choices, label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email", "webhook"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "mime", "size", "content_type", "created_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False
