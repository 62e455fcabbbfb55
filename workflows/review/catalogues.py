"""Catalogues as data: import from the shipped JSON fixtures or an .xlsx workbook, and write
the .xlsx template back out.

Workbook layout (the same as `catalogue_xlsx` writes):
- sheet "meta": two columns, key and value, keys as in META_KEYS;
- sheet "items": header row, then one row per diagnostic point with the columns of
  ITEM_COLUMNS (诊断项目编号, 诊断项目, 诊断要素编号, 诊断要素, 诊断点, 影响因素参考提示,
  数据管理平台相应编号). An element without points has one row with the point cells empty.
"""

import io
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook

from engine.imports import Importer, ImportFileError, TableReader, register

FIXTURES = Path(__file__).resolve().parent / "fixtures"
META_KEYS = (
    "code",
    "version",
    "name",
    "source",
    "notes",
    "overview_max",
    "opinion_max",
    "measures_max",
    "effects_max",
    "problems_share_num",
    "problems_share_den",
    "effective_num",
    "effective_den",
    "abnormal_num",
    "abnormal_den",
    "review_points",
    "person_level",
)
INT_KEYS = {k for k in META_KEYS if k.endswith(("_max", "_num", "_den")) or k == "version"}
MAX_ROWS = 5000  # rows of the items sheet; the largest shipped catalogue has a few hundred
ITEM_COLUMNS = (
    "诊断项目编号",
    "诊断项目",
    "诊断要素编号",
    "诊断要素",
    "诊断点",
    "影响因素参考提示",
    "数据管理平台相应编号",
)


def shipped() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(FIXTURES.glob("*.json"))}


def _cell(value):
    return "" if value is None else str(value).strip()


class CatalogueImporter(Importer):
    """A catalogue version is created whole or not at all."""

    kind = "catalogue"
    label = _lazy("Diagnosis catalogue")
    audit_action = "review.catalogue.import.run"
    whole_file = True
    sheet = "items"

    def max_rows(self) -> int:
        return MAX_ROWS

    def check(self, actor, options) -> None:
        from accounts import access

        from . import capabilities as caps

        access.require(actor, caps.CATALOGUE_MANAGE)

    def check_file(self, reader) -> None:
        if "meta" not in reader.sheet_names or "items" not in reader.sheet_names:
            raise ImportFileError(_("The workbook needs the sheets “meta” and “items”."))
        rows = reader.rows("items")
        first = next(rows, None)
        rows.close()
        _check_header(first[1] if first else ())

    def apply(self, run, reader) -> None:
        from .services import catalogue_import

        data, errors = _parse(reader)
        run.total = run.processed = data.pop("rows")
        for line, problem in errors:
            run.add_error(line, problem)
        if errors:
            raise ValidationError(_("Nothing was imported: fix the rows below."))
        catalogue = catalogue_import(
            actor=run.actor, data=data, activate=bool(run.options.get("activate"))
        )
        run.created = sum(len(e.get("points", [])) for i in data["items"] for e in i["elements"])
        run.result = {"catalogue": str(catalogue), "catalogue_id": catalogue.pk}


register(CatalogueImporter())


def _check_header(header) -> None:
    if tuple(_cell(c) for c in header)[: len(ITEM_COLUMNS)] != ITEM_COLUMNS:
        raise ImportFileError(
            _("items: the header row must be %(h)s.") % {"h": " | ".join(ITEM_COLUMNS)}
        )


def parse_xlsx(file) -> dict:
    """The catalogue a workbook holds (for the management command); ValidationError listing
    every problem."""
    try:
        reader = TableReader(file, max_rows=MAX_ROWS)
        CatalogueImporter().check_file(reader)
        data, errors = _parse(reader)
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from exc
    if errors:
        raise ValidationError([problem for _line, problem in errors])
    del data["rows"]
    return data


def _parse(reader) -> tuple[dict, list[tuple[int, str]]]:
    """(catalogue data with "rows", the item rows read; [(row, problem)]), streamed."""
    data: dict = {}
    for _number, row in reader.rows("meta"):
        if row and row[0] in META_KEYS:
            data[row[0]] = row[1] if len(row) > 1 else None
    errors = []
    for key in sorted(INT_KEYS & data.keys()):
        try:
            data[key] = int(data[key])
        except (TypeError, ValueError):
            errors.append((0, _("meta: %(k)s must be a whole number.") % {"k": key}))
    if "person_level" in data:
        data["person_level"] = _cell(data["person_level"])
    if "review_points" in data:
        data["review_points"] = _cell(data["review_points"]).lower() in ("1", "true", "yes", "是")
    items: dict[str, dict] = {}
    rows = reader.rows("items")
    _check_header(next(rows, (0, ()))[1])
    count = 0
    for line, row in rows:
        count += 1
        cells = [_cell(c) for c in row[: len(ITEM_COLUMNS)]] + [""] * len(ITEM_COLUMNS)
        item_no, item_title, el_no, el_title, point, hint, codes = cells[:7]
        if not any(cells[:7]):
            continue
        if not (item_no and item_title and el_no and el_title):
            errors.append(
                (
                    line,
                    _("items row %(n)d: item and element number and title are required.")
                    % {"n": line},
                )
            )
            continue
        item = items.setdefault(item_no, {"number": item_no, "title": item_title, "elements": {}})
        element = item["elements"].setdefault(
            el_no, {"number": el_no, "title": el_title, "points": []}
        )
        if point:
            element["points"].append({"title": point, "hint": hint, "platform_codes": codes})
    data["rows"] = count
    data["items"] = [
        {**item, "elements": list(item["elements"].values())} for item in items.values()
    ]
    return data, errors


def _safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else value


def catalogue_xlsx(catalogue) -> bytes:
    wb = Workbook()
    meta = wb.active
    meta.title = "meta"
    for key in META_KEYS:
        meta.append([key, _safe(getattr(catalogue, key))])
    sheet = wb.create_sheet("items")
    sheet.append(ITEM_COLUMNS)
    for element in catalogue.elements_in_order().prefetch_related("points"):
        item = element.item
        points = list(element.points.all()) or [None]
        for point in points:
            sheet.append(
                [
                    _safe(v)
                    for v in (
                        item.number,
                        item.title,
                        element.number,
                        element.title,
                        point.title if point else "",
                        point.hint if point else "",
                        point.platform_codes if point else "",
                    )
                ]
            )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def load_data(data: dict, *, status: str):
    """Create one catalogue version with its items, elements and points (caller holds the
    transaction and the permission)."""
    from .models import Catalogue, CatalogueElement, CatalogueItem, CataloguePoint

    fields = {k: v for k, v in data.items() if k in META_KEYS}
    for required in ("code", "name"):
        if not fields.get(required):
            raise ValidationError({required: _("This field is required.")})
    fields.setdefault("version", 1)
    if Catalogue.objects.filter(code=fields["code"], version=fields["version"]).exists():
        raise ValidationError(
            {
                "version": _("Version %(v)s of “%(c)s” exists already; raise the version.")
                % {"v": fields["version"], "c": fields["code"]}
            }
        )
    if not data.get("items"):
        raise ValidationError({"items": _("The catalogue has no diagnostic items.")})
    catalogue = Catalogue(**fields, status=status)
    catalogue.full_clean()
    catalogue.save()
    for i, item_data in enumerate(data["items"], start=1):
        item = CatalogueItem.objects.create(
            catalogue=catalogue, number=item_data["number"], title=item_data["title"], order=i
        )
        for j, el in enumerate(item_data["elements"], start=1):
            element = CatalogueElement.objects.create(
                item=item, catalogue=catalogue, number=el["number"], title=el["title"], order=j
            )
            CataloguePoint.objects.bulk_create(
                CataloguePoint(element=element, order=k, **point)
                for k, point in enumerate(el.get("points", []), start=1)
            )
    return catalogue
