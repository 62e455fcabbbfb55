from collections import Counter

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.filters import FlagField, PageFilter
from workflows.levels import Level

from . import engine_bridge, periods, selectors
from .models import (
    DecisionKind,
    Improvement,
    Indicator,
    Period,
    PeriodKind,
    Stage,
    StageGate,
    WarningStatus,
)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "level",
            "unit_of_measure",
            "direction",
            "formula",
            "period_kind",
            "min_value",
            "max_value",
            "target_value",
            "plan_target",
            "yellow_threshold",
            "red_threshold",
            "data_owner_unit",
            "approver",
            "response_working_days",
            "opens_case",
            "is_active",
        ]


class IndicatorChoiceField(forms.ModelChoiceField):
    """An indicator picked by its name, and its level where two of the choices share the name
    (就业率 of a major and of the school): a picker of names alone cannot tell them apart, and a
    name that says its level already (听课评价得分（教师）) needs no second one."""

    def label_from_instance(self, obj):
        if obj.name not in self._shared_names():
            return obj.name
        return _("%(name)s (%(level)s)") % {"name": obj.name, "level": obj.get_level_display()}

    def _shared_names(self) -> set[str]:
        if getattr(self, "_shared_for", None) is not self.queryset:
            names = Counter(self.queryset.values_list("name", flat=True))
            self._shared, self._shared_for = {n for n, k in names.items() if k > 1}, self.queryset
        return self._shared


class ReadingForm(forms.Form):
    indicator = IndicatorChoiceField(Indicator.objects.none(), label=_("Indicator"))
    # Typed, not chosen from a list: a college has tens of thousands of students.
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        help_text=_(
            "A unit's name or code, or a teacher's or student's name, username or staff number "
            "(a code or number where two bear the same name)."
        ),
    )
    period = forms.ModelChoiceField(
        Period.objects.order_by("-start", "code"), label=_("Reporting period"), required=False
    )
    # A weekly indicator names its ISO week (the browser's week picker gives "2026-W48"); the
    # week's period is created when it is first used.
    week = forms.CharField(
        label=_("or the week"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "week"}),
        help_text=_("For weekly indicators, e.g. 2026-W48."),
    )
    # Text, so that "abc" or "101%" reaches the service and gets its own clear message.
    value = forms.CharField(label=_("Value"), max_length=40)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators

    def clean(self):
        data = super().clean()
        indicator, key = data.get("indicator"), data.get("subject")
        if indicator is not None and key:
            data["subject"] = selectors.find_subject(key, indicator.level)
            if data["subject"] is None:
                self.add_error(
                    "subject",
                    _("No subject “%(s)s” at the level of this indicator (%(level)s).")
                    % {"s": key, "level": indicator.get_level_display()},
                )
        period, week = data.get("period"), data.get("week")
        if week:
            parsed = periods.parse_week(week)
            if parsed is None:
                self.add_error("week", _("“%(w)s” is not a week such as 2026-W48.") % {"w": week})
            elif period is not None:
                self.add_error("week", _("Choose a reporting period or a week, not both."))
            else:
                data["iso_week"] = parsed
        elif period is None and "period" not in self.errors:
            self.add_error("period", _("Choose the reporting period (or the week)."))
        return data

    def reporting_period(self):
        """The chosen period; a week's period is created here (call inside the transaction)."""
        if "iso_week" in self.cleaned_data:
            return periods.week_period(*self.cleaned_data["iso_week"])
        return self.cleaned_data["period"]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    keep_good_rows = forms.BooleanField(
        label=_("Keep the good rows even if some rows have errors"), required=False
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ImprovementForm(forms.ModelForm):
    class Meta:
        model = Improvement
        fields = ["title", "cause_analysis", "measures", "owner", "deadline"]
        widgets = {"deadline": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        # the people the service accepts (access_rules.improvement_owners)
        self.fields["owner"].queryset = owners
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()


def _checked_upload(upload):
    if upload:
        engine_bridge.validate_upload(upload)
    return upload


class EvidenceForm(forms.Form):
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_file = forms.FileField(label=_("Evidence file"), required=False)

    def clean_evidence_file(self):
        return _checked_upload(self.cleaned_data.get("evidence_file"))


class SignOffForm(forms.Form):
    effective = forms.TypedChoiceField(
        label=_("Effective?"),
        choices=[("1", _("Effective: close it")), ("0", _("Not effective: send it back"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Effectiveness check"), widget=forms.Textarea(attrs={"rows": 3}))


class CycleEvidenceForm(forms.Form):
    gate = forms.ModelChoiceField(StageGate.objects.none(), label=_("Evidence gate"))
    text = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(label=_("File"), required=False)

    def __init__(self, *args, gates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate"].queryset = gates

    def clean_file(self):
        return _checked_upload(self.cleaned_data.get("file"))


class CycleTextsForm(forms.Form):
    target_text = forms.CharField(
        label=_("Targets"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    standard_text = forms.CharField(
        label=_("Standards"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PeriodOpenForm(forms.Form):
    levels = forms.MultipleChoiceField(
        label=_("Levels"), choices=Level.choices, widget=forms.CheckboxSelectMultiple
    )


class OverviewForm(forms.Form):
    period = forms.ModelChoiceField(
        Period.objects.exclude(kind=PeriodKind.WEEK), label=_("Reporting period")
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=[("", _("All five levels")), *Level.choices], required=False
    )


class PeriodCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PeriodKind.choices)
    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=2100,
        help_text=_("For an academic year or a term: the year it starts in (2026 for 2026-2027)."),
    )
    number = forms.IntegerField(
        label=_("Term, month or week number"),
        required=False,
        min_value=1,
        max_value=53,
        help_text=_("Term 1 or 2; month 1 to 12; ISO week 1 to 53. Not needed for a year."),
    )
    start = forms.DateField(
        label=_("First day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Terms only: as the term calendar sets it."),
    )
    end = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class UnitFilter(PageFilter):
    """A list narrowed to one responsible unit (and the units under it)."""

    unit = forms.IntegerField(label=_("Responsible unit"), required=False, min_value=1)

    def unit_for(self, user):
        """The unit asked for, if the user may see it (404 otherwise), or None."""
        from accounts import access

        pk = self.cleaned_data["unit"]
        return access.get_unit(user, pk) if pk else None


class WarningFilter(UnitFilter):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("open", _("Unresolved")), ("all", _("All"))]
    )
    defaults = {"status": "open"}


class PeriodFilter(PageFilter):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *PeriodKind.choices], required=False
    )


class WarningApiFilter(PageFilter):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", ""), *WarningStatus.choices], required=False
    )


class CycleFilter(PageFilter):
    level = forms.ChoiceField(label=_("Level"), choices=[("", ""), *Level.choices], required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", ""), *Stage.choices], required=False)


class CycleListFilter(PageFilter):
    level = forms.ChoiceField(label=_("Level"), choices=[("", ""), *Level.choices], required=False)


class OverviewDrillFilter(PageFilter):
    """Which cycles of a level the overview lists: those at a stage, or the stuck ones."""

    stage = forms.ChoiceField(label=_("Stage"), choices=[("", ""), *Stage.choices], required=False)
    stuck = FlagField(label=_("Stuck cycles"))


class CycleDecisionForm(forms.Form):
    """A reward recommended, training taken or a measure adopted, on a cycle's large loop."""

    kind = forms.ModelChoiceField(DecisionKind.objects.none(), label=_("Kind"))
    title = forms.CharField(label=_("What"), max_length=200)
    grounds = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("File"), required=False)

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = kinds

    def clean_file(self):
        return _checked_upload(self.cleaned_data.get("file"))
