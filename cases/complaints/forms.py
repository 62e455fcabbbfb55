from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgUnit
from cases.confidential.forms import ChallengeMixin, MultipleFileField, _text_field
from cases.forms import SATISFACTION_CHOICES, active_units
from cases.models import Status
from engine.filters import FlagField, PageFilter


class AnonymousComplaintForm(ChallengeMixin):
    title = forms.CharField(label=_("What the complaint is about"), max_length=120)
    subject_unit = forms.ModelChoiceField(label=_("Unit concerned"), queryset=active_units())
    description = _text_field(pgettext_lazy("complaint", "Description"))
    files = MultipleFileField(label=_("Evidence files"), required=False)
    field_order = [
        "title",
        "subject_unit",
        "description",
        "files",
        "challenge_answer",
        "challenge_token",
    ]

    def clean_description(self):
        text = self.cleaned_data["description"]
        if not text.strip():
            raise forms.ValidationError(_("Please describe the problem."))
        return text


class OversightFilter(PageFilter):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *list(Status.choices)], required=False
    )
    unit = forms.ModelChoiceField(
        label=_("Accepting body"),
        queryset=OrgUnit.objects.filter(
            kind__in=[OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.OFFICE], is_active=True
        ).order_by("path"),
        required=False,
    )
    overdue = FlagField(label=_("Overdue only"))
    q = forms.CharField(label=_("Number or title"), max_length=100, required=False)

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "unit": data["unit"].pk if data["unit"] else "",
            "overdue": data["overdue"],
            "q": data["q"].strip(),
        }


class SuperviseForm(forms.Form):
    request = forms.CharField(
        label=_("What the accepting body must do"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
    )
    working_days = forms.IntegerField(
        label=_("Answer within (working days)"),
        min_value=1,
        max_value=60,
        initial=lambda: settings.CASES_SUPERVISION_DAYS,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )


class RateForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=64)
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
