from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgUnit
from engine.filters import FlagField, PageFilter

from . import intake
from .models import Status, Subject


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > settings.INTAKE_MAX_FILES:
            raise forms.ValidationError(
                _("At most %(n)d files per submission.") % {"n": settings.INTAKE_MAX_FILES}
            )
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            try:
                intake.validate_upload(upload)
            except forms.ValidationError as exc:
                raise forms.ValidationError([f"{upload.name}: {m}" for m in exc.messages]) from exc
        return cleaned


def _text_field(label, required=True):
    return forms.CharField(
        label=label,
        required=required,
        max_length=settings.INTAKE_MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ChallengeMixin(forms.Form):
    challenge_token = forms.CharField(widget=forms.HiddenInput)
    challenge_answer = forms.CharField(label=_("Check question"), max_length=8)

    def clean(self):
        cleaned = super().clean()
        if "challenge_token" in cleaned and "challenge_answer" in cleaned:
            try:
                intake.check_challenge(cleaned["challenge_token"], cleaned["challenge_answer"])
            except forms.ValidationError as exc:
                self.add_error("challenge_answer", exc)
        return cleaned


class ReportForm(ChallengeMixin):
    subject = forms.ChoiceField(label=_("What it is about"), choices=Subject.choices)
    about = forms.CharField(label=_("About whom or what"), max_length=200)
    subject_unit = forms.ModelChoiceField(
        label=_("Unit concerned (optional)"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        required=False,
    )
    description = _text_field(pgettext_lazy("confidential report", "Description"))
    contact = forms.CharField(
        label=_("Contact (optional)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to stay fully anonymous."),
    )
    files = MultipleFileField(label=_("Evidence files"), required=False)
    named = forms.BooleanField(
        label=_("File under my name (only the discipline office will see it)"),
        required=False,
    )
    field_order = [
        "subject",
        "about",
        "subject_unit",
        "description",
        "contact",
        "files",
        "named",
        "challenge_answer",
        "challenge_token",
    ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None or not user.is_authenticated:
            del self.fields["named"]

    def clean_description(self):
        text = self.cleaned_data["description"]
        if not text.strip():
            raise forms.ValidationError(_("Please describe what you are reporting."))
        return text


class OfficeFilter(PageFilter):
    """The discipline office's queue, on the page, its export and the API."""

    status = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("All")), *Status.choices], required=False
    )
    spam = FlagField(label=_("Spam"))
    q = forms.CharField(label=_("Search"), max_length=100, required=False, strip=True)

    def params(self) -> dict:
        data = self.cleaned_data
        return {"status": data["status"], "spam": data["spam"], "search": data["q"]}


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=64)


class AddInformationForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    text = _text_field(_("Information to add"), required=False)
    files = MultipleFileField(label=_("Evidence files"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("text") or "").strip() and not cleaned.get("files"):
            raise forms.ValidationError(_("Please write something or attach a file."))
        return cleaned


class AdvanceForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.INTAKE_MAX_TEXT,
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=settings.INTAKE_MAX_TEXT,
    )


class ShareForm(forms.Form):
    username = forms.CharField(label=_("Username of the person to add"), max_length=150)

    def clean_username(self):
        user = (
            get_user_model()
            .objects.filter(username=self.cleaned_data["username"], is_active=True)
            .first()
        )
        if user is None:
            raise forms.ValidationError(_("No active user with this username."))
        return user


class AccusedForm(ShareForm):
    username = forms.CharField(label=_("Username of the person reported on"), max_length=150)

    def __init__(self, *args, **kwargs):
        # on the page beside the share form: the same field name, ids of its own
        kwargs.setdefault("auto_id", "id_accused_%s")
        super().__init__(*args, **kwargs)


class OpenCaseForm(forms.Form):
    title = forms.CharField(label=_("Case title (redacted)"), max_length=200)
    description = forms.CharField(
        label=_("Case description (redacted)"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=settings.INTAKE_MAX_TEXT,
        help_text=_("Remove anything that could identify the reporter."),
    )
    org_unit = forms.ModelChoiceField(
        label=_("Unit concerned"),
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        required=False,
    )
