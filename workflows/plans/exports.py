"""Exports in the seed's layouts: 附件1 (task decomposition), 表4 (targets), 表5 (standards)."""

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from engine import doc_templates, documents
from engine.numbers import plain
from workflows.levels import Level

from . import selectors
from .models import Standard, Target

PROGRESS_EVERY = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def safe(value) -> str:
    """Cell text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def number(value) -> str:
    """A Decimal without trailing zeros and without exponent notation (9000, 85.5)."""
    return plain(value)


# what -> (template kind, the row's field names in column order, the column headers)
TABLES = {
    "tasks": (
        "plans.tasks",
        ["category", "title", "deliverable", "lead", "assisting", "deadline", "person", "remarks"],
        ["类别", "建设任务", "成果形式", "牵头部门", "协助部门", "完成时限", "责任人", "备注"],
    ),
    "targets": (
        "plans.targets",
        [
            "level",
            "category",
            "title",
            "description",
            "indicator",
            "unit",
            "baseline",
            "yearly",
            "owner",
            "plan",
            "state",
        ],
        [
            "层面",
            "目标构成",
            "目标",
            "内涵释义",
            "监测指标",
            "单位",
            "基线",
            "年度目标值",
            "目标生成主体",
            "规划依据",
            "状态",
        ],
    ),
    "standards": (
        "plans.standards",
        ["level", "targets", "title", "text", "reference", "state"],
        ["层面", "目标", "标准", "主要标准构成", "参照标准", "状态"],
    ),
}


def task_table(user, progress=None):
    title = "内部质量保证体系建设与运行任务分解及具体进度安排表"
    header = TABLES["tasks"][2]
    tasks = (
        selectors.visible_tasks(user)
        .select_related("lead_unit", "person", "plan")
        .prefetch_related("assisting_units")
        .order_by("plan_id", "position", "pk")
    )
    rows = []
    for i, t in enumerate(tasks.iterator(chunk_size=1000), start=1):
        assisting = "\n".join(u.name for u in t.assisting_units.all()) or t.assisting_text
        rows.append(
            [
                t.category,
                t.title,
                t.deliverable,
                t.lead_unit.name if t.lead_unit else t.lead_unit_name,
                assisting,
                t.deadline.strftime("%Y年%m月%d日") if t.deadline else "",
                str(t.person) if t.person else "",
                t.remarks,
            ]
        )
        if progress and i % PROGRESS_EVERY == 0:
            progress(i)
    return title, header, rows, (0,)


def target_table(user, progress=None):
    title = "质量目标体系"
    header = TABLES["targets"][2]
    targets = (
        selectors.visible(user, Target)
        .select_related("plan", "owner_unit")
        .prefetch_related("values")
        .order_by("level", "category", "pk")
    )
    levels = dict(Level.choices)
    rows = [
        [
            str(levels[t.level]),
            t.get_category_display(),
            t.title,
            t.description,
            t.indicator,
            t.unit_of_measure,
            number(t.baseline),
            "；".join(f"{v.year}：{number(v.value)}" for v in t.values.all()),
            t.owner_unit.name,
            t.plan.title,
            t.get_state_display(),
        ]
        for t in targets
    ]
    return title, header, rows, (0, 1)


def standard_table(user, progress=None):
    title = "质量标准体系"
    header = TABLES["standards"][2]
    standards = (
        selectors.visible(user, Standard)
        .select_related("owner_unit")
        .prefetch_related("targets")
        .order_by("level", "pk")
    )
    levels = dict(Level.choices)
    rows = [
        [
            str(levels[s.level]),
            "；".join(t.title for t in s.targets.all()),
            s.title,
            s.text,
            s.reference,
            s.get_state_display(),
        ]
        for s in standards
    ]
    return title, header, rows, (0, 1)


BUILDERS = {"tasks": task_table, "targets": target_table, "standards": standard_table}


def row_count(user, what: str) -> int:
    if what == "tasks":
        return selectors.visible_tasks(user).count()
    return selectors.visible(user, Target if what == "targets" else Standard).count()


def _xlsx(title, header, rows, merge_cols) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([safe(title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append([safe(v) for v in row])
    # Runs of the same category are merged, as in the seed's table.
    first_data = 3
    for col in merge_cols:
        start = first_data
        for r in range(first_data + 1, first_data + len(rows) + 1):
            same = (
                r < first_data + len(rows)
                and rows[r - first_data][col] == rows[start - first_data][col]
            )
            if not same:
                if r - 1 > start:
                    ws.merge_cells(
                        start_row=start, start_column=col + 1, end_row=r - 1, end_column=col + 1
                    )
                start = r
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    for i, width in enumerate([12, 36, 40, 16, 16, 14, 10, 16, 16, 20, 10][: len(header)], start=1):
        ws.column_dimensions[ws.cell(2, i).column_letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_context(what: str, title: str, rows) -> dict:
    """What a plans table template may use: rows grouped by runs of the same first column."""
    keys = TABLES[what][1]
    groups = []
    for row in rows:
        values = ["" if v is None else str(v) for v in row]
        if not groups or groups[-1]["name"] != values[0]:
            groups.append({"name": values[0], "rows": []})
        groups[-1]["rows"].append(dict(zip(keys, values, strict=True)))
    return {"title": title, "groups": groups, "exported": f"{timezone.localdate():%Y年%m月%d日}"}


def table_sample(what: str):
    """The data an uploaded template of `what` is tried with before it is accepted."""

    def sample() -> dict:
        keys = TABLES[what][1]
        row = [f"示例{i}" for i in range(len(keys))]
        return table_context(what, "示例表", [row, row])

    return sample


def _docx(what: str, title: str, rows) -> bytes:
    return doc_templates.render(TABLES[what][0], table_context(what, title, rows))


def build(user, what: str, fmt: str, progress=None):
    title, header, rows, merge_cols = BUILDERS[what](user, progress)
    data = _xlsx(title, header, rows, merge_cols) if fmt == "xlsx" else _docx(what, title, rows)
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = documents.file_name(title, stamp, ext=fmt)
    return data, filename, content_type(fmt)


def content_type(fmt: str) -> str:
    return XLSX if fmt == "xlsx" else DOCX
