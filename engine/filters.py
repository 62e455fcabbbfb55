"""The filters of a list page, read from its query string by one form base.

A value a filter cannot take (an unknown status, a plan id that is not a number, a date that is
not a date, a flag that is neither on nor off) is refused with a 400 page that names the filter
and says why. It is never ignored (the list would silently show what the user did not ask for)
and never reaches a query (a 500). The API's filters do the same through
`config.api.StrictFilterSet`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from engine.text import sentences

# Every page filter form, for the test that walks each with bad values.
PAGE_FILTERS: list[type[PageFilter]] = []


class FilterRefused(BadRequest):
    """A list page's query string holds a value its filter cannot take (answered 400, with
    this message, by the error handler)."""


ON = {"1", "true", "on", "yes"}
OFF = {"", "0", "false", "off", "no"}


class FlagInput(forms.CheckboxInput):
    """A checkbox that hands the field the value as sent (Django's reads any text as on)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda v: v is True or str(v).lower() in ON)

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")


class FlagField(forms.Field):
    """An on/off filter: on is 1, true, on or yes; off is 0, false, off, no or nothing. Anything
    else is refused (a BooleanField would read "abc" as on)."""

    default_error_messages = {"invalid": _lazy("Use 1 (on) or 0 (off).")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", FlagInput)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        text = str(value or "").strip().lower()
        if text in ON:
            return True
        if text in OFF:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value):
        """Off is a value, not a missing one."""


class PageFilter(forms.Form):
    """Subclass with the page's filters (all optional) and read it with `PageFilter.read`.

    `defaults` gives the value a filter has when the query string does not name it (the
    warnings list shows the unresolved ones unless asked for all)."""

    defaults: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        PAGE_FILTERS.append(cls)

    @classmethod
    def read(cls, request, **kwargs) -> PageFilter:
        """The page's filters, valid; FilterRefused (400) naming each bad one otherwise."""
        data = request.GET.copy()
        for name, value in cls.defaults.items():
            data.setdefault(name, value)
        form = cls(data, **kwargs)
        if not form.is_valid():
            raise FilterRefused(form.refusal())
        return form

    @classmethod
    def read_api(cls, request, **kwargs) -> PageFilter:
        """The same filters on the API: a 400 in the API's error shape, field by field."""
        from rest_framework.exceptions import ValidationError

        form = cls(request.query_params.copy(), **kwargs)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return form

    def refusal(self) -> str:
        parts = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = field.label if field is not None and field.label else name
            parts.append(
                _("The filter “%(filter)s” cannot take “%(value)s”: %(error)s")
                % {
                    "filter": label,
                    "value": self.data.get(name, "")[:50],
                    "error": sentences(errors),
                }
            )
        return "；".join(parts)
