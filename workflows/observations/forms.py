"""The observation sheet a phone shows, built from the form version's data; the quality office's
form editor and quota form."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.forms import MultipleFileField, MultipleFileInput
from engine.numbers import plain
from workflows.levels import Level
from workflows.monitoring.models import Indicator

from . import access
from .models import DutyQuota, ObservationKind


class TeacherChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.username


class ObservationSheet(forms.Form):
    """Scores are taken as text so the service judges them (one message per malformed score)."""

    client_key = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=ObservationKind.choices)
    course = forms.ModelChoiceField(
        label=_("Course"),
        queryset=None,
        error_messages={
            "invalid_choice": _("You may not observe this course: choose a course in your scope.")
        },
    )
    class_name = forms.CharField(label=_("Class"), max_length=60, required=False)
    teacher = TeacherChoice(
        label=_("Teacher"),
        queryset=None,
        required=False,
        empty_label=_("— not in the list: type the name below —"),
    )
    teacher_name = forms.CharField(label=_("Teacher's name (typed)"), max_length=60, required=False)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    observed_at = forms.DateTimeField(
        label=_("Observed at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    strengths = forms.CharField(
        label=_("Strengths"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    suggestions = forms.CharField(
        label=_("Problems and suggestions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    photos = MultipleFileField(
        label=_("Photos"), widget=MultipleFileInput(attrs={"accept": "image/*"})
    )

    def __init__(self, *args, user, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version
        self.fields["course"].queryset = access.observable_courses(user).order_by("path")
        self.fields["teacher"].queryset = (
            User.objects.filter(is_active=True, memberships__role="teacher")
            .exclude(pk=user.pk)
            .distinct()
            .order_by("full_name", "username")
        )
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4())
            self.initial.setdefault(
                "observed_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        self.sections = []
        for section in version.sections.prefetch_related("items"):
            rows = []
            for item in section.items.all():
                score = f"score_{item.pk}"
                comment = f"comment_{item.pk}"
                self.fields[score] = forms.CharField(
                    label=item.label,
                    required=False,
                    help_text=item.guidance,
                    widget=forms.NumberInput(
                        attrs={
                            "min": 0,
                            "max": item.max_score,
                            "step": "0.5",
                            "inputmode": "decimal",
                        }
                    ),
                )
                self.fields[comment] = forms.CharField(
                    label=_("Comment"),
                    required=False,
                    max_length=300,
                    widget=forms.TextInput(attrs={"placeholder": _("Comment (optional)")}),
                )
                rows.append({"item": item, "score": self[score], "comment": self[comment]})
            self.sections.append({"section": section, "rows": rows})

    def scores(self) -> dict:
        data = self.data
        return {
            item.pk: (data.get(f"score_{item.pk}", ""), data.get(f"comment_{item.pk}", ""))
            for item in self.version.items()
        }


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FormVersionForm(forms.Form):
    """The form editor: a row per point ("section | point | weight | highest score |
    what to look for"), so a quality officer edits the whole sheet in one text area."""

    rows = forms.CharField(
        label=_("Points, one per line"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Section | evaluation point | weight | highest score | what to look for "
            "(the last two may be left out)."
        ),
    )
    course_indicator = forms.ModelChoiceField(
        label=_("Course indicator"),
        queryset=Indicator.objects.filter(level=Level.COURSE, is_active=True),
        required=False,
    )
    teacher_indicator = forms.ModelChoiceField(
        label=_("Teacher indicator"),
        queryset=Indicator.objects.filter(level=Level.TEACHER, is_active=True),
        required=False,
    )
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)

    @staticmethod
    def rows_of(version) -> str:
        lines = []
        for item in version.items().select_related("section"):
            lines.append(
                " | ".join(
                    [
                        item.section.title,
                        item.label,
                        plain(item.weight),
                        str(item.max_score),
                        item.guidance,
                    ]
                ).rstrip(" |")
            )
        return "\n".join(lines)

    def sections(self) -> list[dict]:
        sections: dict[str, list] = {}
        for number, line in enumerate(self.cleaned_data["rows"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 3:
                raise forms.ValidationError(
                    _("Line %(n)s: give at least the section, the point and its weight.")
                    % {"n": number}
                )
            section, label, weight = parts[:3]
            sections.setdefault(section, []).append(
                {
                    "label": label,
                    "weight": weight,
                    "max_score": parts[3] if len(parts) > 3 and parts[3] else "10",
                    "guidance": parts[4] if len(parts) > 4 else "",
                }
            )
        return [{"title": title, "items": items} for title, items in sections.items()]


class QuotaForm(forms.ModelForm):
    class Meta:
        model = DutyQuota
        fields = ["role", "count", "per", "is_active"]
