"""Word documents from templates the offices own (docxtpl: Jinja2 tags inside a .docx).

A domain registers a kind of document with its shipped default template (official layout,
GB/T 9704, built by a python-docx script next to it: `manage.py build_doc_templates`), a sample
context and the fields a template cannot leave out; `render(kind, context)` fills the office's
newest uploaded version, or the default while there is none. Every context also carries
`college`, the name of the college for the red 版头. Charts travel as `Picture` and are embedded
by docxtpl as inline images. An upload is rendered with the sample context first: a template
that does not open as a Word file, whose tags are broken, or that leaves out a required field is
refused with the place of the error, and the one in use stays.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from accounts import access
from accounts.audit import audit_record

from .models import DocumentTemplate


@dataclass(frozen=True)
class Kind:
    kind: str
    label: object
    default: Path
    sample: Callable[[], dict]
    capability: str  # who may replace it
    required: tuple[str, ...] = ()  # fields without which the document says nothing
    build: Callable | None = None  # python-docx script that writes the shipped default


KINDS: dict[str, Kind] = {}


def register(
    kind: str,
    *,
    label,
    default: Path,
    sample: Callable[[], dict],
    capability: str,
    required: tuple[str, ...] = (),
    build: Callable | None = None,
):
    KINDS[kind] = Kind(kind, label, Path(default), sample, capability, tuple(required), build)


@dataclass(frozen=True)
class Picture:
    """A PNG for the document (a chart), drawn `width_mm` wide."""

    png: bytes
    width_mm: float = 150


SAMPLE_COLLEGE = "示范职业技术学院"
# A white 1×1 PNG for samples' charts: an upload is tried with pictures where charts go.
SAMPLE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8ffff3f030008fc02fea79aa0a00000000049454e44ae426082"
)


def college_name() -> str:
    from accounts.models import OrgUnit

    root = OrgUnit.objects.get_root_nodes().first()
    return root.name if root else ""


def current(kind: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(kind=kind, is_active=True).order_by("-version").first()


# Characters XML 1.0 cannot hold (and \r, which Word would show as a box); \t and \n stay:
# docxtpl turns them into tabs and line breaks.
_UNWRITABLE = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def _prepare(template: DocxTemplate, value):
    # InlineImage needs the template it goes into, so contexts carry Picture until here.
    if isinstance(value, Picture):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, str):
        return value.translate(_UNWRITABLE)
    if isinstance(value, dict):
        return {k: _prepare(template, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(template, v) for v in value]
    return value


def _fill(source, context: dict) -> bytes:
    template = DocxTemplate(source)
    template.render(_prepare(template, context), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render(kind: str, context: dict) -> bytes:
    """The document of `kind` filled with `context`, from the office's template in use."""
    entry = KINDS[kind]
    context = {"college": college_name(), **context}
    uploaded = current(kind)
    if uploaded is not None:
        with uploaded.file.open("rb") as f:
            return _fill(io.BytesIO(f.read()), context)
    return _fill(str(entry.default), context)


def check(kind: str, content: bytes) -> None:
    """Refuse a template that is not a Word file, does not render with the sample data, or leaves
    out a field the document cannot do without."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ValidationError(_("This is not a Word (.docx) file."))
    entry = KINDS[kind]
    try:
        template = DocxTemplate(io.BytesIO(content))
        strict = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
        sample = {"college": SAMPLE_COLLEGE, **entry.sample()}
        template.render(_prepare(template, sample), jinja_env=strict)
    except jinja2.TemplateSyntaxError as exc:
        # docxtpl keeps the document's text around the error's line
        lines = [line.strip() for line in getattr(exc, "docx_context", []) or []]
        place = re.sub(r"\s+", " ", " ".join(line for line in lines if line))[:120]
        raise ValidationError(
            _("The template's tags are broken near “%(place)s”: %(error)s")
            % {"place": place or "?", "error": exc.message}
        ) from exc
    except jinja2.UndefinedError as exc:
        raise ValidationError(
            _("The template uses a field the document does not have: %(error)s")
            % {"error": exc.message}
        ) from exc
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValidationError(_("This Word file cannot be read as a template.")) from exc
    if entry.required:
        used = DocxTemplate(io.BytesIO(content)).get_undeclared_template_variables()
        missing = [name for name in entry.required if name not in used]
        if missing:
            raise ValidationError(
                _("The template leaves out fields the document needs: %(fields)s")
                % {"fields": "、".join(missing)}
            )


def _require(actor, kind: str) -> Kind:
    entry = KINDS.get(kind)
    if entry is None:
        raise ValidationError(_("No such document."))
    if not access.has_capability(actor, entry.capability):
        raise PermissionDenied
    return entry


@transaction.atomic
def template_upload(*, actor, kind: str, content: bytes, note: str = "") -> DocumentTemplate:
    _require(actor, kind)
    check(kind, content)
    # One version number per kind even when two offices upload at once.
    DocumentTemplate.objects.select_for_update().filter(kind=kind).exists()
    version = (DocumentTemplate.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
    template = DocumentTemplate(kind=kind, version=version, note=note[:200], uploaded_by=actor)
    template.file.save(f"v{version}.docx", ContentFile(content), save=False)
    template.save()
    audit_record(
        actor=actor,
        action="engine.template.upload",
        obj=template,
        after={"kind": kind, "version": version, "note": note[:200]},
    )
    return template


@transaction.atomic
def template_restore_default(*, actor, kind: str) -> int:
    """Stop using every uploaded version: the shipped default is used again."""
    _require(actor, kind)
    stopped = DocumentTemplate.objects.filter(kind=kind, is_active=True).update(is_active=False)
    audit_record(
        actor=actor, action="engine.template.restore_default", obj=None, after={"kind": kind}
    )
    return stopped


def templates_for(user) -> list[dict]:
    """The kinds of document `user` may replace, with the version in use and the history."""
    rows = []
    for entry in sorted(KINDS.values(), key=lambda k: k.kind):
        if not access.has_capability(user, entry.capability):
            continue
        versions = list(
            DocumentTemplate.objects.filter(kind=entry.kind).select_related("uploaded_by")
        )
        in_use = next((v for v in versions if v.is_active), None)
        rows.append({"kind": entry, "versions": versions, "in_use": in_use})
    return rows
