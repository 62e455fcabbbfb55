"""engine.numbers.plain: the one way a number becomes text on a page or in an export."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from engine.numbers import plain


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("8E+1"), None, "80"),
        (Decimal("80.0000").normalize(), None, "80"),
        (Decimal("98.3000"), None, "98.3"),
        (Decimal("96.0000"), None, "96"),
        (Decimal("0.0000"), None, "0"),
        (0, None, "0"),
        (0.0, None, "0"),
        (2.5, None, "2.5"),
        (Decimal("1E-7"), None, "0.0000001"),
        (Decimal("4.256"), 2, "4.26"),
        (Decimal("4.5"), 2, "4.5"),
        (Decimal("-0.001"), 2, "0"),
        (None, None, ""),
    ],
)
def test_plain(value, places, text):
    assert plain(value, places) == text


def test_the_template_filter_shows_zero_and_leaves_none_to_its_default():
    template = Template('{{ a|plain|default:"—" }} {{ b|plain|default:"—" }} {{ c|plain:1 }}')
    assert template.render(Context({"a": 0, "b": None, "c": Decimal("66.6667")})) == "0 — 66.7"
