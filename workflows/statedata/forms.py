from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from workflows.monitoring.forms import IndicatorChoiceField
from workflows.monitoring.models import Indicator, Period

from .models import Profile, ProfileColumn


class MappingField(forms.CharField):
    """A mapping typed one pair a line, "是=1" (or "是 → 1"); stored as a dict."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, numeric: bool, **kwargs):
        self.numeric = numeric
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{k}={v}" for k, v in value.items())
        return value

    def has_changed(self, initial, data):
        try:
            return self.to_python(self.prepare_value(initial) or "") != self.to_python(data)
        except ValidationError:
            return True

    def to_python(self, value):
        text = super().to_python(value) or ""
        mapping = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            for sep in ("→", "=", "＝"):
                if sep in line:
                    key, target = (part.strip() for part in line.split(sep, 1))
                    break
            else:
                key = target = ""
            if not key or not target:
                raise ValidationError(
                    _("Line %(n)s: write one pair a line, as 是=1.") % {"n": number}
                )
            if self.numeric:
                try:
                    Decimal(target)
                except ArithmeticError:
                    raise ValidationError(
                        _("Line %(n)s: “%(v)s” is not a number.") % {"n": number, "v": target}
                    ) from None
            if key in mapping:
                raise ValidationError(
                    _("Line %(n)s: “%(k)s” is mapped twice.") % {"n": number, "k": key}
                )
            mapping[key] = target
        return mapping


class ProfileForm(forms.ModelForm):
    subject_map = MappingField(
        numeric=False,
        label=_("Subject code mapping"),
        help_text=_("One a line: the platform's code=the college's code (only where they differ)."),
    )

    class Meta:
        model = Profile
        fields = [
            "code",
            "name",
            "description",
            "sheet_name",
            "header_row",
            "subject_key",
            "subject_column",
            "subject_map",
            "period_column",
            "period",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.order_by("-start", "code")


class ColumnForm(forms.Form):
    header = forms.CharField(label=_("Column header"), max_length=100)
    indicator = IndicatorChoiceField(
        Indicator.objects.filter(is_active=True).order_by("level", "code"), label=_("Indicator")
    )
    value_map = MappingField(
        numeric=True,
        label=_("Value mapping"),
        help_text=_("One a line: cell text=number, e.g. 是=1."),
    )
    scale = forms.DecimalField(
        label=_("Multiply by"), max_digits=10, decimal_places=4, initial=Decimal(1)
    )

    def clean_scale(self):
        scale = self.cleaned_data["scale"]
        if scale == 0:
            raise ValidationError(_("Multiplying by 0 would erase every value."))
        return scale

    def column(self) -> ProfileColumn:
        d = self.cleaned_data
        return ProfileColumn(
            header=d["header"].strip(),
            indicator=d["indicator"],
            value_map=d["value_map"],
            scale=d["scale"],
        )


ColumnFormSet = forms.formset_factory(ColumnForm, extra=2, can_delete=True)


def column_initial(profile: Profile) -> list[dict]:
    return [
        {
            "header": c.header,
            "indicator": c.indicator_id,
            "value_map": c.value_map,
            "scale": c.scale,
        }
        for c in profile.columns.all()
    ]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Exported table (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class ConfirmForm(forms.Form):
    keep_good_rows = forms.BooleanField(
        label=_("Import the good rows and skip the cells with errors"), required=False
    )
