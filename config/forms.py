"""What every form of the site shares, through the form renderer (settings.FORM_RENDERER).

Django gives each field of a form the renderer's bound-field class, so the marks below reach every
form - the project's, viewflow's and the admin's - without a base class to remember.
"""

from django import forms
from django.forms.renderers import DjangoTemplates

from accounts.widgets import picker_for

REQUIRED_CLASS = "required"


class BoundField(forms.BoundField):
    """A required field's label carries the `required` class (styled as a red asterisk), and a
    unit or person field renders as a searchable picker (accounts.widgets)."""

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is None:
            widget = picker_for(self.field)
        return super().as_widget(widget, attrs, only_initial)

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        if self.field.required and not self.is_hidden:
            classes = {*(attrs or {}).get("class", "").split(), REQUIRED_CLASS}
            attrs = {**(attrs or {}), "class": " ".join(sorted(c for c in classes if c))}
        return super().label_tag(contents, attrs, label_suffix, tag)


class Renderer(DjangoTemplates):
    bound_field_class = BoundField
