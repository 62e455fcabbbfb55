"""Every msgid in the code and the templates has its Chinese: makemessages is run on a copy of the
tree (the committed catalogue stays as it is) and no entry may come back empty or fuzzy. An
English sentence in a Chinese page or document (an annual report's conclusion was one) fails
here, wherever it comes from."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

SKIP = shutil.ignore_patterns(
    ".venv*", ".git", "var", "media", "node_modules", "__pycache__", "*.sqlite3", "staticfiles"
)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_msgid_has_its_chinese(tmp_path):
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "tree"
    shutil.copytree(root, copy, ignore=SKIP, symlinks=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    catalogue = polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))
    missing = [
        f"{e.occurrences[0][0] if e.occurrences else '?'}: {e.msgctxt or ''} {e.msgid!r}"
        for e in catalogue
        if not e.obsolete and ((not e.msgstr and not e.msgstr_plural) or "fuzzy" in e.flags)
    ]
    assert not missing, "\n".join(missing)


# Placeholders that render a person's or a unit's name (the last part of a template variable
# counts: {{ case.accepting_unit }} is a unit). Chinese sets no space around a Chinese name;
# numbers and codes (ZL-2026-0001, 2026) keep theirs, as the official style does.
NAMES = (
    "person|people|name|user|who|by|to|expert|unit|accepting_unit|teacher|observer|actor|subject"
)
CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
NAME = rf"(?:%\((?:{NAMES})\)s|\{{\{{ *(?:[a-z_]+\.)*(?:{NAMES}) *\}}\}})"
SPACED_NAME = re.compile(rf"{CJK} {NAME}|{NAME} {CJK}")


def test_no_space_between_chinese_and_a_name():
    catalogue = polib.pofile(str(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"))
    spaced = [
        f"{e.msgid!r} → {s!r}"
        for e in catalogue
        if not e.obsolete
        for s in [e.msgstr, *e.msgstr_plural.values()]
        if SPACED_NAME.search(s)
    ]
    assert not spaced, "\n".join(spaced)
