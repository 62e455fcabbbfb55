"""The one place Word files start (engine.documents): A4 with the official margins; downloads named
for what they hold."""

import ast
from pathlib import Path

from django.conf import settings

from engine import documents
from tests.documents import download_name, official_docx


def _bytes(doc) -> bytes:
    import io

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_new_documents_are_a4_with_the_official_margins_both_ways():
    official_docx(_bytes(documents.new_document()))
    official_docx(_bytes(documents.new_document(landscape=True)))


def test_file_names_say_what_they_hold_and_are_safe_everywhere():
    assert (
        documents.file_name("改进台账", "软件技术", 2026, ext="docx")
        == "改进台账-软件技术-2026.docx"
    )
    assert documents.file_name("复核报告", "", None, ext="docx") == "复核报告.docx"
    assert documents.file_name("a/b:c", 'd"e', ext="xlsx") == "a_b_c-d_e.xlsx"


def test_a_download_carries_the_chinese_name_and_an_ascii_fallback():
    response = documents.download(b"x", "举报台账-20261203.xlsx")
    assert download_name(response) == "举报台账-20261203.xlsx"
    assert 'filename="____-20261203.xlsx"' in response["Content-Disposition"]
    assert response["Content-Type"] == documents.XLSX


def test_no_module_starts_a_word_file_but_engine_documents():
    """python-docx's Document() starts from US Letter: every builder goes through new_document."""
    offenders = []
    for path in Path(settings.BASE_DIR).glob("*/**/*.py"):
        parts = path.relative_to(settings.BASE_DIR).parts
        if parts[0] in {".venv", "tests", "bench"} or path.name == "documents.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "docx"
            for alias in node.names
            if alias.name == "Document"
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", None)
                is_docx_attr = (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "docx"
                )
                if (name in imported and not node.args) or (is_docx_attr and name == "Document"):
                    offenders.append(f"{path}:{node.lineno}")
    assert offenders == []
