from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedModelAdmin
from accounts.audit import hidden_content_types

from . import duties, notifications, services
from .models import (
    Absence,
    Attachment,
    CalendarDay,
    ChatIdentity,
    Deadline,
    Delivery,
    DigestPreference,
    DutyRule,
    EscalationRule,
    ImportRun,
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
    list_display = ["user", "kind", "email", "webhook", "chat"]


@admin.register(ChatIdentity)
class ChatIdentityAdmin(AuditedModelAdmin):
    """A person's user id on DingTalk or WeCom, found by `manage.py chat_sync` or entered here
    for someone whose mobile number the platform does not know."""

    audit_name = "chat_identity"
    list_display = ["user", "platform", "platform_user_id", "synced_at"]
    list_filter = ["platform"]
    search_fields = ["user__username", "user__full_name", "platform_user_id"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(DigestPreference)
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency"]
    list_filter = ["frequency"]
    search_fields = ["user__username", "user__full_name"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "mime", "size", "content_type", "created_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The record of each import; written by the import machinery only."""

    list_display = [
        "created_at",
        "kind",
        "file_name",
        "actor",
        "status",
        "total",
        "processed",
        "created",
        "updated",
        "error_count",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "actor__username", "actor__full_name"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DutyRuleForm(forms.ModelForm):
    """Processes and steps as their processes declare them (engine.duties), by name."""

    class Meta:
        model = DutyRule
        fields = ["process", "earlier_step", "later_step", "kind", "description", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"] = forms.ChoiceField(
            label=_("process"), choices=duties.process_choices()
        )
        steps = (("earlier_step", _("who did (or is)")), ("later_step", _("may not do")))
        for name, label in steps:
            self.fields[name] = forms.ChoiceField(label=label, choices=duties.step_choices())

    def clean(self):
        data = super().clean()
        process = duties.PROCESSES.get(data.get("process"))
        for name in ("earlier_step", "later_step"):
            if process is not None and data.get(name) and data[name] not in process.steps:
                self.add_error(name, _("This process has no such step."))
        return data


@admin.register(DutyRule)
class DutyRuleAdmin(AuditedModelAdmin):
    """The separation-of-duties rules. The shipped rows are the college's defaults (the policy
    documents are silent on who may not do what), editable here; every change is audited by the
    admin base, as for every model."""

    audit_name = "duty_rule"
    form = DutyRuleForm
    list_display = ["description", "process", "earlier_step", "later_step", "kind", "is_active"]
    list_filter = ["process", "kind", "is_active"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["description"].help_text = _(
            "Shown on the page when the rule refuses someone. The shipped rules are the "
            "college's defaults, not taken from the policy documents; edit them as the college "
            "decides."
        )
        return form


@admin.register(Absence)
class AbsenceAdmin(AuditedModelAdmin):
    list_display = ["user", "kind", "starts_on", "ends_on", "deputy"]
    list_filter = ["kind"]
    date_hierarchy = "starts_on"
    search_fields = ["user__username", "user__full_name", "deputy__username", "deputy__full_name"]
    autocomplete_fields = ["user", "deputy"]
