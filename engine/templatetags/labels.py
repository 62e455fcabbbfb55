"""`{% label_suffix %}`: what follows a label on a page, as Django's forms end theirs.

Chinese ends a label with the full-width "：", which carries its own space; English with ": ".
The catalogue's msgid ":" (config/forms.py) says which, so a template never writes a colon of
either width after a translated label (tests/config/test_label_colons.py). A builtin of the
template engine (settings.TEMPLATES), so every template has it without a load; markup and text
built in Python call `label_suffix()` itself (workflows/plans/tree.py)."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from engine import numbers

register = template.Library()


@register.simple_tag
def label_suffix():
    suffix = gettext(":")
    return f"{suffix} " if suffix.isascii() else suffix


@register.filter
def plain(value, places=None):
    """`{{ reading.value|plain }}`, `{{ mean|plain:2 }}`: a number as engine.numbers writes it
    (80, 98.3, never 8E+1 or 98.3000); None gives "", so `|plain|default:"—"` shows 0 as 0."""
    return numbers.plain(value, None if places in (None, "") else int(places))


@register.filter(needs_autoescape=True)
def aside(value, autoescape=True):
    """`{{ f.size|filesizeformat|aside }}`: a remark in brackets after what it qualifies:
    full-width in Chinese, （2.0 KB）, ASCII after a space in English, (2.0 KB)."""
    text = conditional_escape(value) if autoescape else value
    return mark_safe(gettext(" (%(aside)s)") % {"aside": text})  # noqa: S308 - escaped above
