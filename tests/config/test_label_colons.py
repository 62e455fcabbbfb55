"""A label on a page ends with {% label_suffix %}: "：" in Chinese (no space after), ": " in
English, as Django's forms end theirs (the catalogue's msgid ":"). A colon written into a
template after a translated label is right in one language only: the walk reads every template
the project ships and names each place that does it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from tests.cases.factories import file_case

pytestmark = pytest.mark.django_db

# A translated label ({% translate %}, the end of a {% blocktranslate %}), perhaps closing an
# inline element, then a colon of either width. A colon inside a blocktranslate's body is part
# of its msgid: the catalogue translates it.
LABEL_THEN_COLON = re.compile(
    r"\{%-?\s*(?:translate|trans|endblocktranslate|endblocktrans)\b[^%]*%\}"
    r"(?:</[a-z]+>)*\s*[:：]"
)


def _templates():
    roots = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    for root in roots:
        yield from (p for p in root.rglob("*") if p.is_file())


def test_no_template_writes_a_colon_after_a_translated_label():
    found = []
    for path in _templates():
        text = path.read_text()
        for match in LABEL_THEN_COLON.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path}:{line}: {match.group()}")
    assert len(list(_templates())) > 100
    assert found == []


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "待办理：何燕"), ("en", "Waiting for: 何燕")]
)
def test_the_suffix_is_full_width_in_chinese_and_spaced_in_english(language, expected):
    template = Template('{% load i18n %}{% translate "Waiting for" %}{% label_suffix %}{{ who }}')
    with translation.override(language):
        assert template.render(Context({"who": "何燕"})) == expected


def test_a_case_page_says_who_it_waits_for_with_a_full_width_colon(cast, client):
    case = file_case(cast.student, cast.units.rj)
    client.force_login(cast.xx_leader)
    page = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待办理：" in page and "待办理: " not in page
