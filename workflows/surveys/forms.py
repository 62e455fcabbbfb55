from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import UnitChoiceField
from accounts.models import OrgUnit
from workflows.monitoring.models import Period, PeriodKind

from .models import Audience, Question, QuestionKind, Questionnaire, Survey


class SurveyForm(forms.ModelForm):
    unit = UnitChoiceField(queryset=OrgUnit.objects.filter(is_active=True), label=_("unit"))

    class Meta:
        model = Survey
        fields = [
            "questionnaire",
            "title",
            "period",
            "audience",
            "unit",
            "closes_on",
            "grades_date",
            "min_responses",
        ]
        widgets = {
            "closes_on": forms.DateInput(attrs={"type": "date"}),
            "grades_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = Questionnaire.objects.filter(is_active=True)
        self.fields["period"].queryset = Period.objects.filter(
            kind__in=[PeriodKind.TERM, PeriodKind.YEAR]
        )
        self.fields["title"].required = False
        # the model's clean refuses less; the browser says so before sending
        self.fields["min_responses"].widget.attrs["min"] = settings.SURVEYS_MIN_RESPONSES
        self.fields["closes_on"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["grades_date"].widget.attrs["min"] = timezone.localdate().isoformat()

    def clean(self):
        cleaned = super().clean()
        audience = cleaned.get("audience")
        unit = cleaned.get("unit")
        if audience == Audience.SECTIONS and cleaned.get("grades_date") is None:
            self.add_error(
                "grades_date", _("Say from which day teachers may read the written comments.")
            )
        if audience == Audience.SECTIONS and unit is not None and not unit.is_teaching:
            self.add_error("unit", _("Course sections belong to a department, major or course."))
        return cleaned


class InviteForm(forms.Form):
    count = forms.IntegerField(label=_("number of codes"), min_value=1, max_value=5000)


def answer_form(questions: list[Question], data=None, *, with_code: bool = False) -> forms.Form:
    """The questionnaire as a form: one field per question (`q<id>`), big radios for phones."""
    fields = {}
    if with_code:
        fields["code"] = forms.CharField(
            label=_("invitation code"),
            max_length=40,
            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        )
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == QuestionKind.TEXT:
            fields[name] = forms.CharField(
                label=q.text,
                required=q.required,
                max_length=q.max_length,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": q.max_length}),
            )
        elif q.kind == QuestionKind.MULTIPLE:
            fields[name] = forms.TypedMultipleChoiceField(
                label=q.text,
                required=q.required,
                coerce=int,
                choices=q.options(),
                widget=forms.CheckboxSelectMultiple,
            )
        else:
            fields[name] = forms.TypedChoiceField(
                label=q.text,
                required=q.required,
                coerce=int,
                choices=q.options(),
                widget=forms.RadioSelect,
            )
        fields[name].section = q.section.title
    form_class = type("AnswerForm", (forms.Form,), fields)
    return form_class(data)
