from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import PersonChoiceField, with_units

from .filters import FlagField, PageFilter


class CalendarImportForm(forms.Form):
    file = forms.FileField(
        label=_("Calendar workbook (.xlsx)"),
        help_text=_("Columns: 类型 (学期/节假日/调休), 名称, 开始, 结束; optional 学期, 教学周."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        return upload


class TaskReassignForm(forms.Form):
    """Offers the people the service accepts (engine.delegation.reassign_candidates)."""

    to_user = PersonChoiceField(
        label=_("Reassign to"),
        queryset=None,
        help_text=_("People holding a post in the units you lead and the units under them."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = with_units(candidates)


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    starts_on = forms.DateField(label=_("Away from"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_("Away until"), widget=forms.DateInput({"type": "date"}))
    deputy = PersonChoiceField(
        label=_("Deputy (代理)"),
        queryset=None,
        help_text=_("People of your department or office."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        from .delegation import deputy_candidates
        from .models import Absence

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Absence.Kind.choices
        self.fields["deputy"].queryset = with_units(deputy_candidates(user))

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The absence cannot end before it starts."))
        return data


class ImportRunFilter(PageFilter):
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .imports import importers

        self.fields["kind"].choices = [("", "")] + [(i.kind, i.label) for i in importers()]


class NotificationFilter(PageFilter):
    unread = FlagField(label=_("Unread only"))


class InboxFilter(PageFilter):
    process = forms.ChoiceField(label=_("Process"), required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    per = forms.TypedChoiceField(label=_("Rows per page"), coerce=int, required=False)

    def __init__(self, *args, processes, units, page_sizes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].choices = [("", ""), *processes]
        self.fields["unit"].queryset = units
        self.fields["per"].choices = [("", ""), *((n, n) for n in page_sizes)]
        self.fields["per"].empty_value = page_sizes[0]


def add_service_errors(form, exc: ValidationError) -> None:
    """A service's refusal onto the form that was sent: a message about one of the form's fields
    stands under that field, any other above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def form_run(form, action) -> bool:
    """Check the form, then run `action(cleaned_data)` (the service call). False when the form
    or the service refused: the caller then renders its page again with this same bound form,
    so what was typed stays in the boxes and each error stands under its own field (a redirect
    with a flash message would lose both)."""
    if not form.is_valid():
        return False
    try:
        action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True
