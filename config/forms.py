"""What every form of the site shares, through the form renderer (settings.FORM_RENDERER).

Django gives each field of a form the renderer's bound-field class, so the marks below reach every
form - the project's, viewflow's and the admin's - without a base class to remember.
"""

import copy

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.translation import gettext_noop, ngettext

from accounts.widgets import picker_for

REQUIRED_CLASS = "required"
# Django's forms end a label with gettext(":"), which its own zh-hans catalogue leaves half-width;
# the project's says "：" (makemessages finds the msgid here)
gettext_noop(":")


class BoundField(forms.BoundField):
    """A required field's label carries the `required` class (styled as a red asterisk), a unit
    or person field renders as a searchable picker (accounts.widgets), and a text too long says
    which field it is (Django's own message, "确保该变量包含不超过 120 字符", names none)."""

    @property
    def errors(self):
        errors = super().errors
        if not any(getattr(e, "code", None) == "max_length" for e in errors.data):
            return errors
        named = copy.copy(errors)
        named.data = [self._named(e) for e in errors.data]
        return named

    def _named(self, error):
        params = getattr(error, "params", None) or {}
        if getattr(error, "code", None) != "max_length" or "limit_value" not in params:
            return error
        limit = params["limit_value"]
        return forms.ValidationError(
            ngettext(
                "%(field)s can have at most %(limit_value)d character (it has %(show_value)d).",
                "%(field)s can have at most %(limit_value)d characters (it has %(show_value)d).",
                limit,
            )
            % {"field": self.label, "limit_value": limit, "show_value": params["show_value"]},
            code="max_length",
        )

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is None:
            widget = picker_for(self.field)
        return super().as_widget(widget, attrs, only_initial)

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        if self.field.required and not self.is_hidden:
            classes = {*(attrs or {}).get("class", "").split(), REQUIRED_CLASS}
            attrs = {**(attrs or {}), "class": " ".join(sorted(c for c in classes if c))}
        return super().label_tag(contents, attrs, label_suffix, tag)


SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class Renderer(DjangoTemplates):
    bound_field_class = BoundField

    def render(self, template_name, context, request=None):
        # A select renders every option through two template includes (select_option.html and
        # attrs.html): the same markup is written here, in half the CPU time (the case list's
        # filter selects: 3.1 -> 1.6 ms a page). Any select Django's own templates would not
        # render alike (another option template, a label that is not text) goes through them.
        # tests/config/test_forms.py compares both on every kind of option.
        if template_name == SELECT and request is None:
            html = select_html(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)


def _text(value) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: safe text kept, anything else escaped."""
    return value if isinstance(value, SafeData) else conditional_escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def select_html(widget: dict) -> str | None:
    """django/forms/widgets/select.html with its select_option.html, or None when an option is
    not one those templates would render as plain text."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name and not isinstance(group_name, str | Promise):
            return None
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            label = option["label"]
            if option["template_name"] != OPTION or not isinstance(label, str | Promise):
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(label)}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # the renderer strips the template's last newline
    return "".join(parts)
