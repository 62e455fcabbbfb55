import decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import OrgUnit, User
from accounts.widgets import picker_attrs
from engine.filters import FlagField, PageFilter
from workflows.levels import Level

from .models import (
    ItemState,
    Plan,
    PlanKind,
    Standard,
    Target,
    TargetCategory,
    TaskState,
    UnitAlias,
)


def _live_plans():
    return Plan.objects.exclude(state__in=[ItemState.RETIRED, ItemState.SUPERSEDED])


class ContentForm(forms.Form):
    """A form whose cleaned data is an item's content (see services.item_content)."""

    content_fields: tuple[str, ...] = ()

    def content(self) -> dict:
        data = {}
        for name in self.content_fields:
            value = self.cleaned_data.get(name)
            data[name] = value.pk if hasattr(value, "pk") else value
        return data

    @classmethod
    def initial_from(cls, content: dict) -> dict:
        return dict(content)


class PlanForm(ContentForm):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=PlanKind.choices)
    parent = forms.ModelChoiceField(
        label=_("parent plan"), queryset=Plan.objects.none(), required=False
    )
    replaces = forms.ModelChoiceField(
        label=_("replaces plan"),
        queryset=Plan.objects.none(),
        required=False,
        help_text=_("The plan in force that this one supersedes once approved."),
    )
    start_year = forms.IntegerField(label=_("first year"), min_value=2000, max_value=2100)
    end_year = forms.IntegerField(label=_("last year"), min_value=2000, max_value=2100)
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea, required=False)
    lead_person = forms.ModelChoiceField(
        label=_("lead person"), queryset=User.objects.filter(is_active=True), required=False
    )

    content_fields = Plan.CONTENT_FIELDS

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = plans if plans is not None else _live_plans()
        self.fields["replaces"].queryset = self.fields["parent"].queryset.filter(
            state=ItemState.IN_FORCE
        )


def _reviewing_field():
    return forms.ModelChoiceField(
        label=_("reviewing office"),
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.OFFICE, is_active=True),
        required=False,
        help_text=_(
            "For college-level items: the office whose leader reviews it. Empty: the owner unit "
            "when it is an office, else the quality office."
        ),
    )


class ReviewingUnitForm(forms.Form):
    reviewing_unit = _reviewing_field()


class PlanCreateForm(PlanForm):
    level = forms.ChoiceField(label=_("level"), choices=Level.choices)
    owner_unit = forms.ModelChoiceField(label=_("owner unit"), queryset=OrgUnit.objects.none())
    reviewing_unit = _reviewing_field()

    def __init__(self, *args, units=None, personal=None, person=None, **kwargs):
        """`personal`: for `person`, who drafts only their own self-development plan, the
        (kind, level) pairs of the roles they hold: the form offers those, and them as the
        lead person."""
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = units if units is not None else OrgUnit.objects.all()
        if personal is not None:
            kinds = {kind for kind, _level in personal}
            levels = {level for _kind, level in personal}
            self.fields["kind"].choices = [c for c in PlanKind.choices if c[0] in kinds]
            self.fields["level"].choices = [c for c in Level.choices if c[0] in levels]
            self.fields["lead_person"].queryset = User.objects.filter(pk=person.pk)
            # it supersedes only their own plan of that kind, never the college's
            self.fields["replaces"].queryset = self.fields["replaces"].queryset.filter(
                kind__in=kinds, owner_user=person
            )


def _parse_values(text: str) -> dict:
    """'2026=80\\n2027=85' → {"2026": "80", ...}; a line that is not year=number is an error."""
    values = {}
    for line in (text or "").replace("；", "\n").replace(";", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        year, sep, value = line.replace("：", "=").replace(":", "=").partition("=")
        try:
            values[str(int(year.strip()))] = str(decimal.Decimal(value.strip()))
        except (ValueError, decimal.InvalidOperation) as exc:
            raise ValidationError(
                _("“%(line)s” is not of the form year=value."), params={"line": line}
            ) from exc
        if not sep:
            raise ValidationError(
                _("“%(line)s” is not of the form year=value."), params={"line": line}
            )
    return values


class TargetForm(ContentForm):
    title = forms.CharField(label=_("title"), max_length=200)
    category = forms.ChoiceField(label=_("target type"), choices=TargetCategory.choices)
    description = forms.CharField(
        label=pgettext_lazy("target", "description"), widget=forms.Textarea, required=False
    )
    indicator = forms.CharField(label=_("indicator"), max_length=120, required=False)
    unit_of_measure = forms.CharField(label=_("unit of measure"), max_length=20, required=False)
    baseline = forms.DecimalField(
        label=_("baseline"), max_digits=14, decimal_places=4, required=False
    )
    values_text = forms.CharField(
        label=_("target value per year"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One line per year, e.g. 2026=85"),
    )
    lead_person = forms.ModelChoiceField(
        label=_("lead person"), queryset=User.objects.filter(is_active=True), required=False
    )

    content_fields = Target.CONTENT_FIELDS

    def clean_values_text(self):
        return _parse_values(self.cleaned_data["values_text"])

    def content(self):
        data = super().content()
        data["values"] = self.cleaned_data["values_text"]
        return data

    @classmethod
    def initial_from(cls, content):
        initial = dict(content)
        initial["values_text"] = "\n".join(f"{y}={v}" for y, v in content.get("values", {}).items())
        return initial


class TargetCreateForm(TargetForm):
    plan = forms.ModelChoiceField(label=_("plan it serves"), queryset=Plan.objects.none())
    owner_unit = forms.ModelChoiceField(
        label=_("owner unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Leave empty for the plan's own unit."),
    )
    reviewing_unit = _reviewing_field()

    def __init__(self, *args, plans=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans if plans is not None else Plan.objects.all()
        self.fields["owner_unit"].queryset = units if units is not None else OrgUnit.objects.all()


class StandardForm(ContentForm):
    title = forms.CharField(label=_("title"), max_length=200)
    text = forms.CharField(label=_("text"), widget=forms.Textarea, required=False)
    reference = forms.CharField(
        label=_("reference standard (参照标准)"), max_length=200, required=False
    )
    targets = forms.ModelMultipleChoiceField(
        label=_("targets it serves"), queryset=Target.objects.none(), required=False
    )
    lead_person = forms.ModelChoiceField(
        label=_("lead person"), queryset=User.objects.filter(is_active=True), required=False
    )

    content_fields = Standard.CONTENT_FIELDS

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = targets if targets is not None else Target.objects.all()

    def content(self):
        data = super().content()
        data["targets"] = sorted(t.pk for t in self.cleaned_data["targets"])
        return data


class StandardCreateForm(StandardForm):
    level = forms.ChoiceField(label=_("level"), choices=Level.choices)
    owner_unit = forms.ModelChoiceField(label=_("owner unit"), queryset=OrgUnit.objects.none())
    reviewing_unit = _reviewing_field()

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = units if units is not None else OrgUnit.objects.all()


FORMS = {"plan": PlanForm, "target": TargetForm, "standard": StandardForm}


class ChangeRequestForm(forms.Form):
    """The request's own fields; shown beside the item's content form, so always prefixed
    (`PREFIX`): a plan's 概要 and the change's 变更内容 are both called summary."""

    PREFIX = "change"

    summary = forms.CharField(label=_("what changes"), max_length=300)
    reason = forms.CharField(label=_("why"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class EndRequestForm(forms.Form):
    """申请废止: retire an item in force, or mark it replaced by a successor; the committee
    decides."""

    kind = forms.ChoiceField(
        label=_("what should happen"),
        choices=[
            ("retire", _("Retire it")),
            ("supersede", _("It is replaced by a successor")),
        ],
        initial="retire",
        required=False,
        widget=forms.RadioSelect,
    )
    successor = forms.ModelChoiceField(
        label=_("successor"),
        queryset=Plan.objects.none(),
        required=False,
        help_text=_("Only when it is replaced: the item in force that takes its place."),
    )
    reason = forms.CharField(label=_("why"), widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=_("I understand that once the committee approves, the item is no longer in force."),
        error_messages={"required": _("Tick the confirmation to send the request.")},
    )

    def __init__(self, *args, successors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if successors is not None:
            self.fields["successor"].queryset = successors

    def clean(self):
        data = super().clean()
        data["kind"] = data.get("kind") or "retire"
        if data["kind"] == "supersede" and not data.get("successor"):
            self.add_error("successor", _("Choose the item that replaces it."))
        if data.get("kind") == "retire":
            data["successor"] = None
        return data


class TaskChangeForm(forms.Form):
    """Sending a new task list of a plan in force to the committee."""

    reason = forms.CharField(label=_("why"), widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("comments"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class TaskForm(forms.Form):
    category = forms.CharField(label=_("category (类别)"), max_length=60)
    title = forms.CharField(label=_("task (建设任务)"), max_length=500)
    deliverable = forms.CharField(
        label=_("deliverable (成果形式)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    lead_unit = forms.ModelChoiceField(
        label=_("lead unit (牵头部门)"), queryset=OrgUnit.objects.filter(is_active=True)
    )
    assisting_units = forms.ModelMultipleChoiceField(
        label=_("assisting units (协助部门)"),
        queryset=OrgUnit.objects.filter(is_active=True),
        required=False,
    )
    deadline = forms.DateField(
        label=_("deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    person = forms.ModelChoiceField(
        label=_("person responsible"), queryset=User.objects.filter(is_active=True), required=False
    )
    remarks = forms.CharField(label=_("remarks (备注)"), max_length=300, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("file"))
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than the upload limit."))
        return upload


class ImportForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("plan the tasks implement"), queryset=Plan.objects.none())
    file = forms.FileField(label=_("task-decomposition table (.xlsx)"))

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans if plans is not None else _live_plans()

    def clean_file(self):
        from django.conf import settings

        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than the upload limit."))
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(_("Upload an .xlsx workbook."))
        return upload


class ImportNamesForm(forms.Form):
    """One field per name the import preview could not match: a unit (or group) or a person."""

    GROUP_PREFIX = "group:"

    def __init__(self, *args, unmatched, **kwargs):
        super().__init__(*args, prefix="names", **kwargs)
        units = list(
            OrgUnit.objects.filter(is_active=True).order_by("path").only("pk", "name", "depth")
        )
        unit_choices = [(str(u.pk), "　" * (u.depth - 1) + u.name) for u in units]
        group_choices = [(self.GROUP_PREFIX + g.value, g.label) for g in UnitAlias.Group]
        self.unmatched = unmatched
        self.units = {str(u.pk): u for u in units}
        for i, entry in enumerate(unmatched):
            rows = "、".join(str(r) for r in entry["rows"][:10])
            help_text = _("rows %(rows)s") % {"rows": rows}
            if entry["kind"] == "person":
                self.fields[f"n{i}"] = forms.CharField(
                    label=entry["name"],
                    required=False,
                    help_text=_(
                        "Username or staff number of the responsible person; leave empty "
                        "and tick below for no responsible person."
                    ),
                )
                self.fields[f"n{i}_none"] = forms.BooleanField(
                    label=_("no responsible person"), required=False
                )
            else:
                choices = [("", _("— choose —"))]
                choices.append((_("Units"), unit_choices))
                if not entry["lead"]:
                    choices.append((_("Groups of units"), group_choices))
                self.fields[f"n{i}"] = forms.ChoiceField(
                    label=entry["name"],
                    choices=choices,
                    required=False,
                    help_text=help_text,
                    widget=forms.Select(attrs=picker_attrs("unit")),
                )

    def clean(self):
        cleaned = super().clean()
        self.unit_targets, self.person_targets = {}, {}
        for i, entry in enumerate(self.unmatched):
            value = (cleaned.get(f"n{i}") or "").strip()
            if entry["kind"] == "person":
                if cleaned.get(f"n{i}_none"):
                    self.person_targets[entry["name"]] = None
                elif value:
                    user = (
                        User.objects.filter(is_active=True)
                        .filter(Q(username=value) | Q(staff_no=value))
                        .first()
                    )
                    if user is None:
                        self.add_error(
                            f"n{i}", _("No active person has this username or staff number.")
                        )
                    else:
                        self.person_targets[entry["name"]] = user
            elif value.startswith(self.GROUP_PREFIX):
                self.unit_targets[entry["name"]] = value.removeprefix(self.GROUP_PREFIX)
            elif value:
                self.unit_targets[entry["name"]] = self.units[value]
        if not self.unit_targets and not self.person_targets and not self.errors:
            raise ValidationError(_("Choose a unit or a person for at least one name."))
        return cleaned


class TaskFilter(PageFilter):
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("All")), *TaskState.choices], required=False
    )
    plan = forms.IntegerField(label=_("Plan"), required=False, min_value=1)
    overdue = FlagField(label=_("Overdue only"))
