import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.forms import PersonLabel
from accounts.models import OrgUnit, Role
from engine import attachments, duties
from engine.filters import FlagField, PageFilter

from .models import FILED_SOURCES, Case, Category, Grade, MatrixCell, Notice, RectificationReport
from .permissions import CaseCap
from .routing import transfer_targets

User = get_user_model()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Photos and documents: each file checked by size and content (engine.attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/*,.pdf,.doc,.docx,.xls,.xlsx,.txt"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for f in cleaned:
            attachments.validate_upload(f)
        return cleaned


def active_units():
    """The units a case may be about: every open unit but the committee, which decides cases
    and is no unit a complaint or an incident concerns."""
    return (
        OrgUnit.objects.filter(is_active=True).exclude(kind=OrgUnit.Kind.COMMITTEE).order_by("path")
    )


def classified_categories():
    """The categories the matrix covers, in catalogue order: each sub-category under its parent
    (parents by their `order`), then by its own `order`."""
    return (
        Category.objects.filter(
            Exists(MatrixCell.objects.filter(category=OuterRef("pk"))), is_active=True
        )
        .select_related("parent")
        .order_by(
            Coalesce("parent__order", "order"),
            Coalesce("parent_id", "id"),
            F("parent_id").asc(nulls_first=True),
            "order",
            "id",
        )
    )


class CaseFileForm(forms.ModelForm):
    """A complaint or a supervisor's incident report: short labels, few required fields, usable on
    a phone."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    files = MultipleFileField(label=_("Photos and documents"))

    def renew_token(self) -> None:
        """A fresh token in the page once the sent one was refused, so the next submit files."""
        self.data = self.data.copy()
        self.data["idempotency_key"] = str(uuid.uuid4())

    class Meta:
        model = Case
        fields = [
            "title",
            "subject_unit",
            "other_units",
            "category",
            "source",
            "course",
            "teacher_name",
            "class_name",
            "occurred_at",
            "place",
            "description",
            "suggested_grade",
            "reporter_hidden",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, kind=Case.Kind.COMPLAINT, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["subject_unit"].queryset = active_units()
        self.fields["other_units"].queryset = active_units()
        self.fields["other_units"].required = False
        self.fields["category"].queryset = classified_categories()
        self.fields["category"].required = False
        self.fields["suggested_grade"].queryset = Grade.objects.filter(is_active=True)
        if kind == Case.Kind.REPORT:
            self.fields["source"].required = True
            self.fields["source"].choices = FILED_SOURCES
            del self.fields["reporter_hidden"]
        else:
            for name in ("source", "suggested_grade", "class_name"):
                del self.fields[name]

    def clean_occurred_at(self):
        value = self.cleaned_data.get("occurred_at")
        if value and value > timezone.now():
            raise ValidationError(_("The incident cannot be in the future."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TransferForm(ReasonForm):
    """Offers the bodies that may take this case over (routing.transfer_targets)."""

    takes_case = True
    to_unit = forms.ModelChoiceField(label=_("Hand to"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        if case is not None:
            self.fields["to_unit"].queryset = transfer_targets(case)


class ClassifyForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    grade = forms.ModelChoiceField(label=_("Grade"), queryset=Grade.objects.filter(is_active=True))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = classified_categories()

    def clean(self):
        data = super().clean()
        category, grade = data.get("category"), data.get("grade")
        if (
            category
            and grade
            and not MatrixCell.objects.filter(category=category, grade=grade).exists()
        ):
            raise ValidationError(
                {"grade": _("This grade is not in the matrix for this category.")}
            )
        return data


def investigator_choices():
    """The college's staff: the roles holding case.investigate (whom the 'Investigation
    assigned' message can reach), never someone who is also a student or an outside expert."""
    staff = [role for role, caps in access.ROLE_CAPS.items() if CaseCap.INVESTIGATE in caps]
    return (
        User.objects.filter(is_active=True, memberships__role__in=staff)
        .exclude(memberships__role__in=[Role.STUDENT, Role.EXTERNAL_EXPERT])
        .distinct()
        .order_by("username")
    )


class PersonWithUnitField(PersonLabel, forms.ModelMultipleChoiceField):
    pass


class InvestigateForm(forms.Form):
    """Offers only the people who may investigate this case: the separation-of-duties rules
    (engine.duties) leave out, e.g., the person the case is about and the reporter."""

    takes_case = True
    investigators = PersonWithUnitField(label=_("Investigators"), queryset=User.objects.none())

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = investigator_choices()
        if case is not None:
            people = duties.allowed_people(people, process_key="case", step="findings", obj=case)
        self.fields["investigators"].queryset = people.prefetch_related("memberships__org_unit")


class FindingsForm(forms.ModelForm):
    files = MultipleFileField(label=_("Evidence"))

    class Meta:
        model = Case
        fields = ["findings", "interview_notes", "responsible_unit", "responsible_person"]
        widgets = {
            "findings": forms.Textarea(attrs={"rows": 5}),
            "interview_notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = active_units()
        self.fields["findings"].required = True


class DetermineForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = ["grade", "responsible_unit", "responsible_person", "findings"]
        widgets = {"findings": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].queryset = Grade.objects.filter(is_active=True)
        self.fields["responsible_unit"].queryset = active_units()
        for name in ("grade", "responsible_unit", "findings"):
            self.fields[name].required = True

    def clean_grade(self):
        grade = self.cleaned_data["grade"]
        if not MatrixCell.objects.filter(category=self.instance.category, grade=grade).exists():
            raise ValidationError(_("This grade is not in the matrix for this category."))
        return grade


DECISIONS = [("approve", _("Approve")), ("send_back", _("Send back"))]
VERDICTS = [("accept", _("Accept the rectification")), ("return", _("Return for re-work"))]


class CommitteeForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoticeForm(forms.ModelForm):
    due_date = forms.DateField(
        label=_("Rectify by"),
        required=False,
        help_text=_("Empty: the deadline of the case's grade in the matrix."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Notice
        fields = ["kind", "facts", "requirements"]
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 5}),
            "requirements": forms.Textarea(attrs={"rows": 5}),
        }

    def clean_due_date(self):
        day = self.cleaned_data.get("due_date")
        if day is None:
            return None
        if day <= timezone.localdate():
            raise ValidationError(_("The deadline must be in the future."))
        return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.max.time()))


class ReportForm(forms.ModelForm):
    files = MultipleFileField(label=_("Evidence"))

    class Meta:
        model = RectificationReport
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}


class VerifyForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=VERDICTS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("verdict") == "return" and not data.get("reason", "").strip():
            raise ValidationError(
                {"reason": _("Give the reasons for returning the rectification.")}
            )
        return data


class FeedbackForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


# the five marks of a rating, each saying what it means; offered as radio buttons with none
# chosen, so nobody's rating is a mark they never picked (a select would send its first, 5)
SATISFACTION_CHOICES = [
    (5, _("5 · Very satisfied")),
    (4, _("4 · Satisfied")),
    (3, _("3 · Neither satisfied nor dissatisfied")),
    (2, _("2 · Dissatisfied")),
    (1, _("1 · Very dissatisfied")),
]


class RateForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        choices=SATISFACTION_CHOICES,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttachForm(forms.Form):
    files = MultipleFileField(label=_("Files"), required=True)


class EmptyForm(forms.Form):
    pass


class CaseFilterForm(PageFilter):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.filter(parent__isnull=True)
    )
    grade = forms.ModelChoiceField(label=_("Grade"), required=False, queryset=Grade.objects.all())
    unit = forms.ModelChoiceField(label=_("Unit"), required=False, queryset=OrgUnit.objects.none())
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = FlagField(label=_("Overdue only"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Status

        self.fields["status"].choices = [("", "---------"), *Status.choices]
        self.fields["kind"].choices = [("", "---------"), *Case.Kind.choices]
        self.fields["unit"].queryset = OrgUnit.objects.filter(
            is_active=True,
            kind__in=[OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.OFFICE, OrgUnit.Kind.MAJOR],
        ).order_by("path")

    def to_filter(self):
        from .selectors import CaseFilter

        d = self.cleaned_data
        return CaseFilter(
            status=d["status"],
            kind=d["kind"],
            category=d["category"].pk if d["category"] else None,
            grade=d["grade"].pk if d["grade"] else None,
            unit=d["unit"].pk if d["unit"] else None,
            date_from=d["date_from"],
            date_to=d["date_to"],
            overdue=d["overdue"],
            q=d["q"],
        )
