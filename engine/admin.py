from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    Attachment,
    CalendarDay,
    Deadline,
    Delivery,
    EscalationRule,
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


@admin.action(description=_("Retry now"))
def retry_deliveries(modeladmin, request, queryset):
    count = queryset.exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    from .tasks import send_outside

    send_outside.delay()
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

    def has_add_permission(self, request):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email", "webhook"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "mime", "size", "content_type", "created_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False
