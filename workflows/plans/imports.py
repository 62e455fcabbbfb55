"""Import of the task-decomposition table (seed 001 附件1) from .xlsx: parse → preview → confirm.

Parsing saves nothing: it returns the rows it would save, the bad rows and the unit/person names
it could not match. The preview is stored server-side (PendingImport) so that confirming saves
exactly what was shown, in one transaction; a re-import updates the rows with the same key.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from accounts.audit import audit_record
from accounts.models import OrgUnit, User
from engine import deadlines

from .models import ChangeKind, ItemState, PendingImport, Task, TaskState
from .permissions import can_edit
from .services import (
    IN_FORCE_MESSAGE,
    TASK_DEADLINE,
    _file_change,
    _lock_in_force,
    task_key,
    tasks_deadline_sync,
)

# Header text (whitespace removed) → field. The first five are the seed's own columns.
HEADERS = {
    "类别": "category",
    "建设任务": "title",
    "成果形式": "deliverable",
    "牵头部门": "lead",
    "协助部门": "assist",
    "完成时限": "deadline",
    "完成时间": "deadline",
    "责任人": "person",
    "备注": "remarks",
}
REQUIRED = ("category", "title", "deliverable", "lead", "assist")
# Collective names the seed uses for groups of units, and the unit kinds they stand for.
COLLECTIVE = {
    "各部门": (OrgUnit.Kind.OFFICE,),
    "二级单位": (OrgUnit.Kind.DEPARTMENT,),
    "各二级单位": (OrgUnit.Kind.DEPARTMENT,),
    "各系（部）": (OrgUnit.Kind.DEPARTMENT,),
    "各系部": (OrgUnit.Kind.DEPARTMENT,),
    "相关部门": (),
}
UPDATED_FIELDS = (
    "position",
    "category",
    "title",
    "deliverable",
    "lead_unit",
    "lead_unit_name",
    "assisting_text",
    "deadline",
    "person",
    "remarks",
)
# A change to any of these restarts the task's deadline with the engine.
DEADLINE_FIELDS = {"deadline", "lead_unit_id", "person_id"}
MAX_LENGTH = {"category": 60, "title": 500, "remarks": 300}
SPLIT = re.compile(r"[\n、，,/；;]+")
PARENS = re.compile(r"[（(][^）)]*[）)]")
DATE_TEXT = re.compile(r"(\d{4})\s*[年\-./]\s*(\d{1,2})(?:\s*[月\-./]\s*(\d{1,2}))?")


class ImportFileError(Exception):
    """The file as a whole cannot be read as a decomposition table."""


@dataclass
class Parsed:
    rows: list = field(default_factory=list)
    bad_rows: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)


def _norm(text) -> str:
    return "".join(str(text or "").split())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:10]
    return str(value).strip()


class UnitIndex:
    def __init__(self):
        self.by_name = {}
        self.by_kind = {}
        ambiguous = set()
        for unit in OrgUnit.objects.filter(is_active=True).only("pk", "name", "kind"):
            for key in {_norm(unit.name), _norm(PARENS.sub("", unit.name))}:
                if key in self.by_name and self.by_name[key] != unit.pk:
                    ambiguous.add(key)
                self.by_name[key] = unit.pk
            self.by_kind.setdefault(unit.kind, []).append(unit.pk)
        for key in ambiguous:
            del self.by_name[key]

    def match(self, token: str):
        """(unit ids, matched?) for one name as written."""
        key = _norm(token)
        if key in COLLECTIVE:
            ids = []
            for kind in COLLECTIVE[key]:
                ids.extend(self.by_kind.get(kind, []))
            return ids, True
        for candidate in (key, _norm(PARENS.sub("", token))):
            if candidate in self.by_name:
                return [self.by_name[candidate]], True
        return [], False


def _parse_deadline(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    m = DATE_TEXT.search(str(value))
    if not m:
        raise ValueError(str(value))
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    if day:
        return datetime.date(year, month, int(day))
    # "2016年6月" means by the end of that month.
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - datetime.timedelta(days=1)


def _find_header(ws):
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 10)):
        columns = {}
        for cell in row:
            name = HEADERS.get(_norm(cell.value))
            if name and name not in columns:
                columns[name] = cell.column
        if all(c in columns for c in REQUIRED):
            return row[0].row, columns
    raise ImportFileError(
        _("The first sheet has no header row with the columns %(cols)s (seed 001 附件1).")
        % {"cols": "、".join(["类别", "建设任务", "成果形式", "牵头部门", "协助部门"])}
    )


def _merged_fill(ws):
    """Value of each cell covered by a merged range, taken from the range's top-left cell."""
    fill = {}
    for rng in ws.merged_cells.ranges:
        value = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                fill[(r, c)] = value
    return fill


def parse_workbook(file, *, plan) -> Parsed:
    try:
        wb = load_workbook(file, data_only=False, read_only=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from exc
    ws = wb.worksheets[0]
    header_row, columns = _find_header(ws)
    limit = getattr(settings, "PLANS_IMPORT_MAX_ROWS", 10_000)
    if ws.max_row - header_row > limit:
        raise ImportFileError(_("The table has more than %(n)s rows.") % {"n": limit})
    fill = _merged_fill(ws)
    units = UnitIndex()
    people = {}
    for pk, full_name, username, staff_no in User.objects.filter(is_active=True).values_list(
        "pk", "full_name", "username", "staff_no"
    ):
        for key in (full_name, username, staff_no):
            if key:
                people.setdefault(_norm(key), pk)
    result = Parsed()
    unmatched = {}
    seen_keys = {}

    for row in ws.iter_rows(min_row=header_row + 1):
        r = row[0].row
        raw, problems = {}, []
        for name, col in columns.items():
            cell = ws.cell(r, col)
            value = fill.get((r, col), cell.value)
            if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
                problems.append(_("column %(col)s holds a formula") % {"col": name})
                value = None
            raw[name] = value
        if not problems and all(raw.get(n) in (None, "") for n in columns):
            continue
        text = {n: _cell_text(v) for n, v in raw.items()}
        # "健全\n组织" in a narrow merged cell is the category 健全组织.
        text["category"] = _norm(text.get("category"))
        for name in ("category", "title", "deliverable"):
            if not text.get(name):
                problems.append(_("%(col)s is empty") % {"col": name})
        for name, limit_len in MAX_LENGTH.items():
            if len(text.get(name, "")) > limit_len:
                problems.append(
                    _("%(col)s is longer than %(n)s characters") % {"col": name, "n": limit_len}
                )
        try:
            deadline = _parse_deadline(raw.get("deadline"))
        except ValueError:
            deadline = None
            problems.append(_("the deadline “%(v)s” is not a date") % {"v": text.get("deadline")})
        if deadline and not (plan.period_start <= deadline <= plan.period_end):
            problems.append(
                _("the deadline %(d)s is outside the plan period %(p)s")
                % {"d": deadline, "p": plan.period_label}
            )
        key = task_key(text.get("category", ""), text.get("title", ""), text.get("deliverable", ""))
        if not problems and key in seen_keys:
            problems.append(_("repeats row %(r)s") % {"r": seen_keys[key]})
        if problems:
            result.bad_rows.append(
                {"row": r, "title": text.get("title", "")[:80], "problems": problems}
            )
            continue
        seen_keys[key] = r

        lead_id = None
        lead_tokens = [t for t in SPLIT.split(text["lead"]) if t.strip()]
        if lead_tokens:
            ids, ok = units.match(lead_tokens[0])
            if ok and len(ids) == 1:
                lead_id = ids[0]
            elif not ok:
                unmatched.setdefault(lead_tokens[0].strip(), []).append(r)
        assist_ids = []
        for token in SPLIT.split(text["assist"]):
            if not token.strip():
                continue
            ids, ok = units.match(token)
            if ok:
                assist_ids.extend(i for i in ids if i not in assist_ids and i != lead_id)
            else:
                unmatched.setdefault(token.strip(), []).append(r)
        person_id = None
        if text.get("person"):
            person_id = people.get(_norm(text["person"]))
            if person_id is None:
                unmatched.setdefault(text["person"], []).append(r)
        result.rows.append(
            {
                "row": r,
                "key": key,
                "category": text["category"],
                "title": text["title"],
                "deliverable": text["deliverable"],
                "lead_unit_id": lead_id,
                "lead_name": text["lead"][:200],
                "assist_ids": assist_ids,
                "assist_text": " ".join(text["assist"].split())[:300],
                "deadline": deadline.isoformat() if deadline else None,
                "person_id": person_id,
                "remarks": text.get("remarks", ""),
            }
        )
    result.unmatched = [{"name": n, "rows": rows} for n, rows in sorted(unmatched.items())]
    return result


@transaction.atomic
def import_preview(*, actor, plan, upload) -> PendingImport:
    if not can_edit(actor, plan):
        raise PermissionDenied
    try:
        parsed = parse_workbook(upload, plan=plan)
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    existing = {
        key: (pk, state)
        for key, pk, state in Task.objects.filter(plan=plan).values_list(
            "import_key", "pk", "state"
        )
    }
    for row in parsed.rows:
        row["action"] = "update" if row["key"] in existing else "create"
    in_file = {row["key"] for row in parsed.rows}
    gone = [
        pk
        for key, (pk, state) in existing.items()
        if key not in in_file and state != TaskState.RETIRED
    ]
    missing = [
        {"id": pk, "row": position, "category": category, "title": title[:120]}
        for pk, position, category, title in Task.objects.filter(pk__in=gone)
        .order_by("position", "pk")
        .values_list("pk", "position", "category", "title")
    ]
    return PendingImport.objects.create(
        owner=actor,
        plan=plan,
        file_name=upload.name[:200],
        rows=parsed.rows,
        bad_rows=parsed.bad_rows,
        unmatched=parsed.unmatched,
        missing=missing,
    )


def _pending(pending_id, owner=None):
    found = PendingImport.objects.select_for_update().filter(
        pk=pending_id, confirmed_at__isnull=True
    )
    if owner is not None:
        found = found.filter(Q(owner=owner))
    pending = found.select_related("plan").first()
    if pending is None:
        raise ValidationError({"import": _("This import was already confirmed or is not yours.")})
    return pending


def _tasks_in_force(plan) -> bool:
    return plan.state == ItemState.IN_FORCE


@transaction.atomic
def import_confirm(*, actor, pending_id, retire_missing: bool = False) -> dict:
    """Save exactly the previewed rows; new keys are created, known keys updated.

    Tasks the file no longer lists (shown in the preview) stay as they are unless
    `retire_missing`: then they are retired, their deadlines cancelled. The task list of a plan
    in force changes only through a change request (`import_request_change`)."""
    pending = _pending(pending_id, owner=actor)
    if not can_edit(actor, pending.plan):
        raise PermissionDenied
    if _tasks_in_force(pending.plan):
        raise ValidationError({"import": IN_FORCE_MESSAGE})
    return _apply(actor, pending, retire_missing)


@transaction.atomic
def import_apply(*, actor, pending_id, retire_missing: bool = False) -> dict:
    """Apply a previewed import the committee approved as a change of a plan's task list."""
    return _apply(actor, _pending(pending_id), retire_missing)


def _titles(titles, limit=30) -> str:
    titles = list(titles)
    shown = "；".join(titles[:limit])
    if len(titles) > limit:
        shown += _("… (%(n)s in all)") % {"n": len(titles)}
    return shown


@transaction.atomic
def import_request_change(*, actor, pending_id, reason: str, retire_missing: bool = False):
    """Send a previewed import of a plan in force to the committee as a change request."""
    pending = _pending(pending_id, owner=actor)
    plan = _lock_in_force(actor, pending.plan)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the task list changes.")})
    existing = dict(Task.objects.filter(plan=plan).values_list("import_key", "title"))
    created = [r["title"] for r in pending.rows if r["key"] not in existing]
    updated = [r["title"] for r in pending.rows if r["key"] in existing]
    retired = [m["title"] for m in pending.missing] if retire_missing else []
    # (key, titles, listed before the change, listed after it)
    lists = [
        ("tasks_created", created, False, True),
        ("tasks_updated", updated, True, True),
        ("tasks_retired", retired, True, False),
    ]
    before, after = {}, {}
    for key, titles, was, will in lists:
        if titles:
            before[key] = {"raw": len(titles) * was, "display": _titles(titles) if was else ""}
            after[key] = {"raw": len(titles) * will, "display": _titles(titles) if will else ""}
    if not before:
        raise ValidationError({"import": _("The file does not change the task list.")})
    return _file_change(
        actor,
        plan,
        kind=ChangeKind.TASKS,
        summary=_("New task list from “%(file)s”") % {"file": pending.file_name},
        reason=reason,
        proposed={"import": pending.pk, "retire_missing": bool(retire_missing)},
        before=before,
        after=after,
    )


def _apply(actor, pending, retire_missing) -> dict:
    plan = pending.plan
    existing = {t.import_key: t for t in Task.objects.filter(plan=plan)}
    through = Task.assisting_units.through
    assisting_now = {}
    for task_id, unit_id in through.objects.filter(task__plan=plan).values_list(
        "task_id", "orgunit_id"
    ):
        assisting_now.setdefault(task_id, set()).add(unit_id)
    valid_units = set(
        OrgUnit.objects.filter(
            pk__in={
                u for row in pending.rows for u in [row["lead_unit_id"], *row["assist_ids"]] if u
            }
        ).values_list("pk", flat=True)
    )
    to_create, to_update, unchanged, assisting = [], [], 0, {}
    changed_fields = set()
    deadline_moved = []  # updated tasks whose deadline, lead unit or person changed
    for position, row in enumerate(pending.rows, start=1):
        task = existing.get(row["key"]) or Task(plan=plan, import_key=row["key"])
        values = {
            "position": position,
            "category": row["category"],
            "title": row["title"],
            "deliverable": row["deliverable"],
            "lead_unit_id": row["lead_unit_id"] if row["lead_unit_id"] in valid_units else None,
            "lead_unit_name": row["lead_name"],
            "assisting_text": row["assist_text"],
            "deadline": datetime.date.fromisoformat(row["deadline"]) if row["deadline"] else None,
            "person_id": row["person_id"],
            "remarks": row["remarks"],
        }
        wanted = {u for u in row["assist_ids"] if u in valid_units}
        same_units = task.pk is not None and assisting_now.get(task.pk, set()) == wanted
        differing = {k for k, v in values.items() if getattr(task, k) != v}
        if task.pk and same_units and not differing:
            unchanged += 1  # a re-import of the same row writes nothing
            continue
        changed_fields |= differing
        for name, value in values.items():
            setattr(task, name, value)
        (to_update if task.pk else to_create).append(task)
        if task.pk and differing & DEADLINE_FIELDS:
            deadline_moved.append(task)
        if not same_units:
            assisting[row["key"]] = wanted
    Task.objects.bulk_create(to_create, batch_size=500)
    # Only the columns that changed somewhere: each one is a CASE over the whole batch.
    fields = [f for f in UPDATED_FIELDS if f in changed_fields or f"{f}_id" in changed_fields]
    if to_update and fields:
        Task.objects.bulk_update(to_update, fields, batch_size=500)
    tasks = {t.import_key: t for t in [*to_create, *to_update]}
    rewritten = [t.pk for t in to_update if t.import_key in assisting]
    through.objects.filter(task_id__in=rewritten).delete()
    through.objects.bulk_create(
        [
            through(task_id=tasks[key].pk, orgunit_id=u)
            for key, units in assisting.items()
            for u in sorted(units)
        ],
        batch_size=1000,
    )
    # In the same transaction, in a constant number of queries: a task is never without its
    # deadline. Only new tasks and moved deadlines (re)start: a re-import that only fixes a
    # title keeps the reminders and escalation already under way.
    tasks_deadline_sync(to_create, new=True)
    tasks_deadline_sync(deadline_moved)
    retired = _retire_missing(actor, plan, pending) if retire_missing else 0
    pending.confirmed_at = timezone.now()
    pending.save(update_fields=["confirmed_at"])
    summary = {
        "created": len(to_create),
        "updated": len(to_update),
        "unchanged": unchanged,
        "skipped": len(pending.bad_rows),
        "retired": retired,
    }
    audit_record(
        actor=actor, action="task.import", obj=plan, after={"file": pending.file_name, **summary}
    )
    return summary


def _retire_missing(actor, plan, pending) -> int:
    """Retire the tasks the preview listed as not in the file (and still not in it)."""
    in_file = {row["key"] for row in pending.rows}
    tasks = (
        Task.objects.select_for_update()
        .filter(plan=plan, pk__in=[m["id"] for m in pending.missing])
        .exclude(state=TaskState.RETIRED)
        .exclude(import_key__in=in_file)
    )
    retired = 0
    for task in tasks:
        was_open = task.state == TaskState.OPEN
        task.retire(by=actor)
        task.save(update_fields=["state", "updated_at"])
        if was_open:
            deadlines.deadline_cancel(obj=task, kind=TASK_DEADLINE)
        retired += 1
    return retired
