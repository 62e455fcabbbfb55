"""Pickers for units and people: plain <select>s that work without JavaScript, enhanced into
searchable pickers by static/js/pickers.js (vendored Tom Select).

A unit picker lists the units in tree order, each label indented by its depth (full-width spaces,
so the tree shows in a plain select too) and carrying its ancestors' names for the search; a
person picker is a select the script makes searchable. config.forms.BoundField gives every unit
and person field of every form one of these, so no form has to ask for it.
"""

from django import forms
from django.forms.models import ModelChoiceField, ModelMultipleChoiceField
from django.utils.translation import gettext

INDENT = "\u3000"


class _UnitTree:
    """Options sorted by the tree path, indented by depth, with their ancestors' names."""

    picker = "unit"

    def unit_choices(self, choices):
        rows = [(value, label, getattr(value, "instance", None)) for value, label in choices]
        names = {unit.path: unit.name for _value, _label, unit in rows if unit is not None}
        self._trails = {}
        ordered = []
        for value, label, unit in sorted(rows, key=lambda row: row[2].path if row[2] else ""):
            if unit is None:
                ordered.append((value, label))
                continue
            # from below the college: every unit is the college's, naming it tells nothing
            ancestors = [
                unit.path[:i] for i in range(2 * unit.steplen, len(unit.path), unit.steplen)
            ]
            self._trails[str(value)] = " / ".join(names[p] for p in ancestors if p in names)
            ordered.append((value, INDENT * (unit.depth - 1) + str(label)))
        return ordered

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        trail = getattr(self, "_trails", {}).get(str(value))
        if trail:
            option["attrs"]["data-trail"] = trail
        return option


class UnitPicker(_UnitTree, forms.Select):
    pass


class UnitMultiPicker(_UnitTree, forms.SelectMultiple):
    pass


class PersonPicker(forms.Select):
    picker = "person"


class PersonMultiPicker(forms.SelectMultiple):
    picker = "person"


def _picker_classes(model):
    from .models import OrgUnit, User

    if issubclass(model, OrgUnit):
        return UnitPicker, UnitMultiPicker
    if issubclass(model, User):
        return PersonPicker, PersonMultiPicker
    return None


def picker_attrs(kind):
    """The attributes that make pickers.js enhance a select (also for hand-built choice fields
    whose labels are indented as unit_choices does)."""
    return {"data-picker": kind, "data-no-results": gettext("No match")}


def picker_for(field):
    """The picker a form field renders with, or None to keep its own widget.

    Only the plain selects Django gives a model choice field are replaced: a form that chose a
    widget itself (a hidden input, radio buttons, the admin's wrappers) keeps it."""
    if not isinstance(field, ModelChoiceField) or field.queryset is None:
        return None
    if type(field.widget) not in (forms.Select, forms.SelectMultiple):
        return None
    classes = _picker_classes(field.queryset.model)
    if classes is None:
        return None
    multiple = isinstance(field, ModelMultipleChoiceField)
    widget = classes[multiple](attrs={**field.widget.attrs, **picker_attrs(classes[0].picker)})
    widget.is_required = field.widget.is_required
    choices = list(field.choices)
    widget.choices = widget.unit_choices(choices) if hasattr(widget, "unit_choices") else choices
    return widget
