"""Every msgid in the code and the templates has its Chinese: makemessages is run on a copy of the
tree (the committed catalogue stays as it is) and no entry may come back empty or fuzzy. An
English sentence in a Chinese page or document (an annual report's conclusion was one) fails
here, wherever it comes from."""

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
