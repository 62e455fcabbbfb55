"""Every list table can become cards on a phone.

static/js/ui.js labels each cell with its column's heading from the table's <thead>, and app.css
shows the labelled rows as cards under 600 px; a list table without a <thead> would stay a table
squeezed to a character per line. A table whose rows come from a loop is a list, unless each row
the loop makes is headed by its own <th> (a record's fields: label and value)."""

import re
from pathlib import Path

from django.conf import settings

TABLE = re.compile(r"<table\b.*?</table>", re.S)
LIST_LOOP = re.compile(r"{% for (?![^%]*%}\s*<tr>\s*<th\b)")


def test_every_list_table_has_a_heading_row():
    lists, missing = 0, []
    for template in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for table in TABLE.findall(template.read_text(encoding="utf-8")):
            if not LIST_LOOP.search(table):
                continue
            lists += 1
            if "<thead" not in table:
                missing.append(str(template.relative_to(settings.BASE_DIR)))
    assert lists > 30
    assert missing == []
