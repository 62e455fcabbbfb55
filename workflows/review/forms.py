from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Role as R
from accounts.models import User
from engine.filters import FlagField, PageFilter
from workflows.levels import Level

from .models import (
    Catalogue,
    DocumentJob,
    PanelMember,
    ReviewRound,
    RoundStatus,
    SanctionDecision,
    disclosure_deadline_for,
    earliest_review_start,
)
from .selectors import authorable_units


class ReportCreateForm(forms.Form):
    org_unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    catalogue = forms.ModelChoiceField(
        label=_("Catalogue"),
        queryset=Catalogue.objects.filter(status=Catalogue.Status.ACTIVE, person_level=""),
    )
    level = forms.ChoiceField(label=_("Level"), choices=[("", "—"), *Level.choices], required=False)
    period = forms.CharField(label=pgettext_lazy("report period", "Period"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = authorable_units(user).order_by("path")
        self.fields["period"].initial = str(timezone.localdate().year)


class EvidenceUploadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"))


class RoundForm(forms.ModelForm):
    """A new round. The publication deadline follows from the start date (REVIEW_DISCLOSURE_DAYS
    before it): the form says so, shows it as the date is picked (review/round_form.js), and
    refuses a start whose deadline has already passed, naming the earliest start that works."""

    class Meta:
        model = ReviewRound
        fields = ["name", "catalogue", "review_start", "review_end"]
        widgets = {
            "review_start": forms.DateInput(attrs={"type": "date"}),
            "review_end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["catalogue"].queryset = Catalogue.objects.filter(
            status=Catalogue.Status.ACTIVE, person_level=""
        )
        days = settings.REVIEW_DISCLOSURE_DAYS
        earliest = earliest_review_start()
        start = self.fields["review_start"]
        start.widget.attrs.update({"min": earliest.isoformat(), "data-disclosure-days": days})
        start.help_text = _(
            "The material must be published by the publication deadline (公示截止日期), %(days)s "
            "days before the review starts. Earliest possible start: %(earliest)s."
        ) % {"days": days, "earliest": earliest}

    def clean_review_start(self):
        start = self.cleaned_data["review_start"]
        earliest = earliest_review_start()
        if start < earliest:
            raise ValidationError(
                _(
                    "With this start the publication deadline would be %(deadline)s, which has "
                    "passed. The material must be public %(days)s days before the review: "
                    "start on %(earliest)s or later."
                ),
                params={
                    "deadline": disclosure_deadline_for(start),
                    "days": settings.REVIEW_DISCLOSURE_DAYS,
                    "earliest": earliest,
                },
            )
        return start


class MoveReportForm(forms.Form):
    """Move a report of a round not yet under review to another round still being planned."""

    report = forms.ModelChoiceField(label=_("Report"), queryset=None, widget=forms.HiddenInput)
    to_round = forms.ModelChoiceField(label=_("Move to round"), queryset=None)

    def __init__(self, *args, round_, **kwargs):
        kwargs.setdefault("prefix", "move")
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = round_.reports.all()
        self.fields["to_round"].queryset = ReviewRound.objects.filter(
            catalogue=round_.catalogue, status=RoundStatus.PLANNING
        ).exclude(pk=round_.pk)


class AddReportForm(forms.Form):
    report = forms.ModelChoiceField(label=_("Report"), queryset=None)

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import ReportStatus, SelfDiagnosisReport

        self.fields["report"].queryset = SelfDiagnosisReport.objects.filter(
            catalogue=round_.catalogue, status=ReportStatus.FORWARDED
        ).exclude(rounds=round_)


class PanelForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Expert"),
        queryset=User.objects.filter(is_active=True, memberships__isnull=False)
        .exclude(memberships__role=R.STUDENT)
        .distinct()
        .order_by("username"),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PanelMember.Kind.choices)
    is_chair = forms.BooleanField(label=_("Panel chair"), required=False)
    declaration = forms.CharField(
        label=_("Conflict-of-interest declaration"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Expert"), queryset=None)
    report = forms.ModelChoiceField(label=_("Report"), queryset=None)

    def __init__(self, *args, round_, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = round_.panel.select_related("user")
        self.fields["report"].queryset = round_.reports.all()


class SanctionForm(forms.ModelForm):
    class Meta:
        model = SanctionDecision
        fields = ["measure", "detail"]
        widgets = {"detail": forms.Textarea(attrs={"rows": 2})}


class DocumentJobForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    level = forms.ChoiceField(
        label=_("Level"),
        choices=[("", _("Whole college (annual quality report)")), *Level.choices],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year

    @property
    def kind(self):
        return DocumentJob.Kind.LEVEL if self.cleaned_data.get("level") else DocumentJob.Kind.ANNUAL


class CatalogueImportForm(forms.Form):
    file = forms.FileField(label=_("Workbook (.xlsx)"))
    activate = forms.BooleanField(label=_("Activate at once"), required=False)


class ReportFilter(PageFilter):
    waiting = FlagField(label=_("Waiting for my approval"))
