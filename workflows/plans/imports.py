"""Import of the task-decomposition table (seed 001 附件1) from .xlsx: parse → preview → confirm.

Parsing saves nothing: it returns the rows it would save, the bad rows and the unit/person names
it could not match. The preview is stored server-side (PendingImport) so that confirming saves
exactly what was shown, in one transaction; a re-import updates the rows with the same key.
"""

import datetime
import re
from dataclasses import dataclass, field
from itertools import chain, islice

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from accounts.audit import audit_record
from accounts.models import OrgUnit, User
from engine import deadlines, steps
from engine import imports as engine_imports
from engine.imports import TableReader
from engine.models import ImportRun

from .models import ChangeKind, ItemState, PendingImport, Plan, Task, TaskState, UnitAlias
from .permissions import can_edit
from .services import (
    IN_FORCE_MESSAGE,
    TASK_DEADLINE,
    _file_change,
    _lock_in_force,
    task_key,
    tasks_deadline_sync,
)
from .tasks import sync_task_steps

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


ImportFileError = engine_imports.ImportFileError  # the file as a whole cannot be read


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
    """Unit names as the org tree and the remembered aliases know them."""

    GROUP_KINDS = {
        UnitAlias.Group.OFFICES: (OrgUnit.Kind.OFFICE,),
        UnitAlias.Group.DEPARTMENTS: (OrgUnit.Kind.DEPARTMENT,),
    }

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
        self.groups = {key: kinds for key, kinds in COLLECTIVE.items()}
        for name, unit_id, group in UnitAlias.objects.values_list("name", "unit_id", "group"):
            if unit_id:
                self.by_name[name] = unit_id
                self.groups.pop(name, None)
            else:
                self.groups[name] = self.GROUP_KINDS[group]
                self.by_name.pop(name, None)

    def match(self, token: str):
        """(unit ids, matched?, group?) for one name as written."""
        key = _norm(token)
        if key in self.groups:
            ids = []
            for kind in self.groups[key]:
                ids.extend(self.by_kind.get(kind, []))
            return ids, True, True
        for candidate in (key, _norm(PARENS.sub("", token))):
            if candidate in self.by_name:
                return [self.by_name[candidate]], True, False
        return [], False, False


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


@dataclass
class Header:
    row: int
    columns: dict  # field → column number
    titles: dict  # field → the header as the sheet writes it (whitespace removed)

    def at(self, name: str, row: int) -> str:
        """“牵头部门（D7）”: a column as the sheet names it, and the cell."""
        return _("%(col)s (%(cell)s)") % {
            "col": self.titles[name],
            "cell": f"{get_column_letter(self.columns[name])}{row}",
        }


FORMULAS = (ArrayFormula, DataTableFormula)  # what openpyxl reads for array/table formulas
HEADER_SEARCH_ROWS = 10  # the header may sit under a title row or two


def _find_header(rows) -> Header:
    """The header row, its columns and their titles, from the first non-empty rows."""
    for number, values in rows:
        columns, titles = {}, {}
        for index, value in enumerate(values, start=1):
            name = HEADERS.get(_norm(value))
            if name and name not in columns:
                columns[name] = index
                titles[name] = _norm(value)
        if all(c in columns for c in REQUIRED):
            return Header(number, columns, titles)
    raise ImportFileError(
        _("The first sheet has no header row with the columns %(cols)s (seed 001 附件1).")
        % {"cols": "、".join(["类别", "建设任务", "成果形式", "牵头部门", "协助部门"])}
    )


class MergedFill:
    """The value of each cell covered by a merged range, taken from the range's top-left cell,
    while the rows stream by in order (ranges never overlap: one live range per column)."""

    def __init__(self, ranges):
        self.pending = sorted(ranges, key=lambda r: r[1], reverse=True)
        self.live = {}  # column -> (max_row, value)

    def fill(self, number: int, values: tuple) -> dict:
        while self.pending and self.pending[-1][1] <= number:
            min_col, min_row, max_col, max_row = self.pending.pop()
            top = values[min_col - 1] if min_row == number and min_col <= len(values) else None
            for column in range(min_col, max_col + 1):
                self.live[column] = (max_row, top)
        covered = {}
        for column, (max_row, top) in list(self.live.items()):
            if max_row < number:
                del self.live[column]
            else:
                covered[column] = top
        return covered


def _tokens(text: str) -> list[str]:
    return [t.strip() for t in SPLIT.split(text) if t.strip()]


def _reader(file) -> TableReader:
    return TableReader(file, max_rows=settings.PLANS_IMPORT_MAX_ROWS, data_only=False)


def parse_workbook(file, *, plan) -> Parsed:
    return parse_rows(_reader(file), plan=plan)


def parse_rows(reader: TableReader, *, plan, progress=None) -> Parsed:
    """The rows of the first sheet, checked and matched; `progress(n)` is told the rows read."""
    try:
        merged = MergedFill(reader.merged_ranges())
        rows = reader.rows()
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        header = _find_header(head)
        body = chain((r for r in head if r[0] > header.row), rows)
        return _parse_rows(body, header, merged, plan, progress)
    except ImportFileError:
        raise
    except (KeyError, ValueError, TypeError, OSError) as exc:
        raise ImportFileError(_("The file is not a readable .xlsx workbook.")) from exc


PROGRESS_EVERY = 500  # rows between two notes of a preview's progress


def _parse_rows(body, header, merged, plan, progress=None) -> Parsed:
    result = Parsed()
    seen_keys = {}

    for read, (r, values) in enumerate(body, start=1):
        if progress and read % PROGRESS_EVERY == 0:
            progress(read)
        covered = merged.fill(r, values)
        raw, problems, formulas = {}, [], set()
        for name, col in header.columns.items():
            value = values[col - 1] if col <= len(values) else None
            value = covered.get(col, value)
            if isinstance(value, FORMULAS) or (isinstance(value, str) and value.startswith("=")):
                problems.append(_("%(at)s holds a formula") % {"at": header.at(name, r)})
                formulas.add(name)
                value = None
            raw[name] = value
        if not problems and all(raw.get(n) in (None, "") for n in header.columns):
            continue
        text = {n: _cell_text(v) for n, v in raw.items()}
        # "健全\n组织" in a narrow merged cell is the category 健全组织.
        text["category"] = _norm(text.get("category"))
        for name in ("category", "title", "deliverable", "lead"):
            if not text.get(name) and name not in formulas:
                problems.append(_("%(at)s is empty") % {"at": header.at(name, r)})
        for name, limit_len in MAX_LENGTH.items():
            if len(text.get(name, "")) > limit_len:
                problems.append(
                    _("%(at)s is longer than %(n)s characters")
                    % {"at": header.at(name, r), "n": limit_len}
                )
        deadline = None
        if "deadline" in header.columns:
            try:
                deadline = _parse_deadline(raw.get("deadline"))
            except ValueError:
                problems.append(
                    _("%(at)s: “%(v)s” is not a date")
                    % {"at": header.at("deadline", r), "v": text.get("deadline")}
                )
            if deadline and not (plan.period_start <= deadline <= plan.period_end):
                problems.append(
                    _("%(at)s: %(d)s is outside the plan period %(p)s")
                    % {"at": header.at("deadline", r), "d": deadline, "p": plan.period_label}
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
        result.rows.append(
            {
                "row": r,
                "key": key,
                "category": text["category"],
                "title": text["title"],
                "deliverable": text["deliverable"],
                "lead_name": text["lead"][:200],
                "lead_token": _tokens(text["lead"])[0],
                "lead_at": header.at("lead", r),
                "assist_tokens": _tokens(text["assist"]),
                "assist_text": " ".join(text["assist"].split())[:300],
                "deadline": deadline.isoformat() if deadline else None,
                "person_text": text.get("person", ""),
                "remarks": text.get("remarks", ""),
            }
        )
    result.unmatched = resolve_rows(result.rows)
    return result


def _people_index() -> dict:
    people = {}
    for pk, full_name, username, staff_no in User.objects.filter(is_active=True).values_list(
        "pk", "full_name", "username", "staff_no"
    ):
        for key in (full_name, username, staff_no):
            if key:
                people.setdefault(_norm(key), pk)
    return people


def resolve_rows(rows: list, person_map: dict | None = None) -> list:
    """Match each row's unit and person names; return the names that match nothing.

    A row whose lead names a group of units gets a `problem` and is skipped: a task is led by
    one unit. `person_map` holds the people chosen on the preview for names that match nobody
    (None: the task has no responsible person)."""
    units, people = UnitIndex(), _people_index()
    person_map = person_map or {}
    unmatched = {}

    def miss(name, row, *, kind, lead=False):
        entry = unmatched.setdefault(name, {"name": name, "rows": [], "kind": kind, "lead": False})
        entry["rows"].append(row["row"])
        entry["lead"] = entry["lead"] or lead

    for row in rows:
        row["problem"] = ""
        row["lead_unit_id"] = None
        ids, ok, group = units.match(row["lead_token"])
        if group:
            row["problem"] = _(
                "%(at)s: “%(v)s” names a group of units; a task is led by one unit"
            ) % {
                "at": row["lead_at"],
                "v": row["lead_token"],
            }
        elif ok:
            row["lead_unit_id"] = ids[0]
        else:
            miss(row["lead_token"], row, kind="unit", lead=True)
        assist_ids = []
        for token in row["assist_tokens"]:
            ids, ok, _group = units.match(token)
            if ok:
                assist_ids.extend(
                    i for i in ids if i not in assist_ids and i != row["lead_unit_id"]
                )
            else:
                miss(token, row, kind="unit")
        row["assist_ids"] = assist_ids
        row["person_id"] = None
        name = row["person_text"]
        if name:
            if name in person_map:
                row["person_id"] = person_map[name]
            else:
                row["person_id"] = people.get(_norm(name))
                if row["person_id"] is None:
                    miss(name, row, kind="person")
    return [unmatched[n] for n in sorted(unmatched)]


def import_preview(*, actor, plan, upload) -> ImportRun:
    """Read and check a file against `plan` into a preview (PendingImport), as an engine
    import run: in the request when it is small, else as a background job whose page leads to
    the preview. ValidationError when the file cannot be read at all (nothing recorded)."""
    if not can_edit(actor, plan):
        raise PermissionDenied
    try:
        return engine_imports.import_start(
            actor=actor, kind="plans.preview", file=upload, options={"plan": plan.pk}
        )
    except ImportFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc


def _save_preview(actor, plan, file_name: str, parsed: Parsed) -> PendingImport:
    existing = {
        key: (pk, state)
        for key, pk, state in Task.objects.filter(plan=plan).values_list(
            "import_key", "pk", "state"
        )
    }
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
        file_name=file_name[:200],
        rows=parsed.rows,
        bad_rows=parsed.bad_rows,
        unmatched=parsed.unmatched,
        missing=missing,
    )


def _pending_for(actor, pending_id, *, lock: bool) -> PendingImport:
    pending = PendingImport.objects.filter(
        owner=actor, pk=pending_id, confirmed_at__isnull=True
    ).select_related("plan")
    pending = (pending.select_for_update() if lock else pending).first()
    if pending is None:
        raise ValidationError({"import": _("This import was already confirmed or is not yours.")})
    if not can_edit(actor, pending.plan):
        raise PermissionDenied
    return pending


@transaction.atomic
def import_map_names(*, actor, pending_id, units: dict, people: dict) -> PendingImport:
    """Map the names the preview could not match, and match the rows again.

    `units`: name → an OrgUnit or a UnitAlias.Group; each is remembered as an alias for the next
    import (audited). `people`: name → a User, or None for “no responsible person”; these hold
    for this import only."""
    pending = _pending_for(actor, pending_id, lock=True)
    as_lead = {u["name"] for u in pending.unmatched if u["lead"]}
    for name, target in units.items():
        is_group = isinstance(target, str)
        if is_group and name in as_lead:
            raise ValidationError(
                {name: _("“%(v)s” leads tasks: map it to one unit, not a group.") % {"v": name}}
            )
        alias, created = UnitAlias.objects.update_or_create(
            name=_norm(name),
            defaults={
                "unit": None if is_group else target,
                "group": target if is_group else "",
                "created_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action="unit_alias.create" if created else "unit_alias.change",
            obj=alias,
            after={"name": alias.name, "unit": str(alias.unit or ""), "group": alias.group},
        )
    person_map = dict(pending.person_map)
    person_map.update({name: user.pk if user else None for name, user in people.items()})
    pending.person_map = person_map
    pending.unmatched = resolve_rows(pending.rows, person_map)
    pending.save(update_fields=["rows", "unmatched", "person_map"])
    return pending


@dataclass
class ImportChanges:
    """What confirming a preview would write: the same answer for the preview and the confirm."""

    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0
    assisting: dict = field(default_factory=dict)
    changed_fields: set = field(default_factory=set)
    deadline_moved: list = field(default_factory=list)
    actions: dict = field(default_factory=dict)  # row number → create / update / unchanged

    @property
    def counts(self) -> dict:
        return {
            "created": len(self.to_create),
            "updated": len(self.to_update),
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def import_plan(pending: PendingImport) -> ImportChanges:
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
                u
                for row in pending.rows
                for u in [row.get("lead_unit_id"), *row.get("assist_ids", [])]
                if u
            }
        ).values_list("pk", flat=True)
    )
    out = ImportChanges(skipped=len(pending.bad_rows))
    position = 0
    for row in pending.rows:
        if row.get("problem") or row.get("lead_unit_id") not in valid_units:
            out.skipped += 1
            out.actions[row["row"]] = "skipped"
            continue
        position += 1
        task = existing.get(row["key"]) or Task(plan=plan, import_key=row["key"])
        values = {
            "position": position,
            "category": row["category"],
            "title": row["title"],
            "deliverable": row["deliverable"],
            "lead_unit_id": row["lead_unit_id"],
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
            out.unchanged += 1  # a re-import of the same row writes nothing
            out.actions[row["row"]] = "unchanged"
            continue
        out.changed_fields |= differing
        for name, value in values.items():
            setattr(task, name, value)
        (out.to_update if task.pk else out.to_create).append(task)
        out.actions[row["row"]] = "update" if task.pk else "create"
        if task.pk and differing & DEADLINE_FIELDS:
            out.deadline_moved.append(task)
        if not same_units:
            out.assisting[row["key"]] = wanted
    return out


def _plan_for(actor, options) -> Plan:
    plan = Plan.objects.filter(pk=options.get("plan")).first()
    if plan is None or not can_edit(actor, plan):
        raise PermissionDenied
    return plan


class PlansPreviewImporter(engine_imports.Importer):
    """Reading a table into a preview: writes no task, only the PendingImport the user then
    maps and confirms (the run's page leads there)."""

    kind = "plans.preview"
    label = _lazy("Task decomposition table (preview)")
    audit_action = "task.import.preview"
    whole_file = True
    data_only = False  # formulas are refused, not evaluated

    def max_rows(self) -> int:
        return settings.PLANS_IMPORT_MAX_ROWS

    def check(self, actor, options) -> None:
        _plan_for(actor, options)

    def check_file(self, reader) -> None:
        rows = reader.rows()
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        rows.close()
        _find_header(head)

    def apply(self, run, reader) -> None:
        plan = _plan_for(run.actor, run.options)

        def progress(read):
            run.processed = read
            engine_imports.note_progress(run)

        parsed = parse_rows(reader, plan=plan, progress=progress)
        pending = _save_preview(run.actor, plan, run.file_name, parsed)
        run.total = run.processed = len(parsed.rows) + len(parsed.bad_rows)
        for bad in parsed.bad_rows:
            run.add_error(bad["row"], "；".join(bad["problems"]))
        run.result = {"pending": pending.pk}

    def summary(self, run) -> str:
        return _("The preview is ready: check it, then confirm the import.")

    def done_url(self, run) -> str:
        pending = run.result.get("pending")
        return reverse("plans:import_preview", args=[pending]) if pending else ""


class PlansImporter(engine_imports.Importer):
    """Confirming a preview: saves exactly the previewed rows (started without a file)."""

    kind = "plans"
    label = _lazy("Task decomposition table")
    audit_action = "task.import.run"
    whole_file = True

    def max_rows(self) -> int:
        return settings.PLANS_IMPORT_MAX_ROWS

    def check(self, actor, options) -> None:
        _plan_for(actor, options)

    def apply(self, run, reader) -> None:
        pending_id = run.options["pending"]
        summary = _confirm(run.actor, pending_id, run.options.get("retire_missing", False))
        pending = PendingImport.objects.get(pk=pending_id)
        run.total = run.processed = len(pending.rows) + len(pending.bad_rows)
        run.created, run.updated = summary["created"], summary["updated"]
        run.unchanged = summary["unchanged"]
        run.result = {"retired": summary["retired"], "skipped": summary["skipped"]}
        for bad in pending.bad_rows:
            run.add_error(bad["row"], "；".join(bad["problems"]))

    def summary(self, run) -> str:
        return _("%(skipped)s bad rows skipped, %(retired)s tasks retired.") % {
            "skipped": run.result.get("skipped", 0),
            "retired": run.result.get("retired", 0),
        }

    def done_url(self, run) -> str:
        return reverse("plans:task_list")


engine_imports.register(PlansPreviewImporter())
engine_imports.register(PlansImporter())


def import_confirm(*, actor, pending_id, retire_missing: bool = False) -> ImportRun:
    """Save exactly the previewed rows; new keys are created, known keys updated. An engine
    import run (with the preview's bad rows), in the request when small, else a background
    job; recorded also when it fails.

    Refused while names the preview could not match are not mapped. Tasks the file no longer
    lists (shown in the preview) stay as they are unless `retire_missing`: then they are
    retired, their deadlines cancelled."""
    pending = _pending_for(actor, pending_id, lock=False)
    if pending.plan.state == ItemState.IN_FORCE:
        raise ValidationError({"import": IN_FORCE_MESSAGE})
    _refuse_unmapped(pending)
    under_way = ImportRun.objects.filter(
        kind="plans",
        options__pending=pending.pk,
        status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING],
    )
    if under_way.exists():
        raise ValidationError({"import": _("This import is already under way.")})
    return engine_imports.import_start(
        actor=actor,
        kind="plans",
        options={
            "plan": pending.plan_id,
            "pending": pending.pk,
            "retire_missing": bool(retire_missing),
        },
        rows=len(pending.rows) + len(pending.bad_rows),
        file_name=pending.file_name,
    )


def _refuse_unmapped(pending) -> None:
    if pending.unmatched:
        raise ValidationError(
            {
                "import": _(
                    "Map every name that matches no unit or person before importing: %(n)s."
                )
                % {"n": "、".join(u["name"] for u in pending.unmatched)}
            }
        )


def _confirm(actor, pending_id, retire_missing: bool) -> dict:
    pending = _pending_for(actor, pending_id, lock=True)
    # Again under the lock: the plan may have come into force, a mapping changed since.
    if pending.plan.state == ItemState.IN_FORCE:
        raise ValidationError({"import": IN_FORCE_MESSAGE})
    _refuse_unmapped(pending)
    return _apply(actor, pending, retire_missing)


@transaction.atomic
def import_apply(*, actor, pending_id, retire_missing: bool = False) -> dict:
    """Apply a previewed import the committee approved as a change of a plan's task list."""
    pending = (
        PendingImport.objects.select_for_update()
        .filter(pk=pending_id, confirmed_at__isnull=True)
        .select_related("plan")
        .first()
    )
    if pending is None:
        raise ValidationError({"import": _("This import was already confirmed or is not yours.")})
    _refuse_unmapped(pending)
    summary = _apply(actor, pending, retire_missing)
    # The rows go in with the committee's approval, not through import_start: the import record
    # (who asked, counts, row errors) is written here so that every import ends with one.
    now = timezone.now()
    run = ImportRun(
        kind=PlansImporter.kind,
        actor=pending.owner,
        file_name=pending.file_name[:200],
        options={"plan": pending.plan_id, "pending": pending.pk, "approved_by": actor.pk},
        status=ImportRun.Status.DONE,
        total=len(pending.rows) + len(pending.bad_rows),
        processed=len(pending.rows) + len(pending.bad_rows),
        created=summary["created"],
        updated=summary["updated"],
        unchanged=summary["unchanged"],
        result={"retired": summary["retired"], "skipped": summary["skipped"]},
        started_at=now,
        finished_at=now,
    )
    for bad in pending.bad_rows:
        run.add_error(bad["row"], "；".join(bad["problems"]))
    run.save()
    return summary


def _apply(actor, pending, retire_missing: bool) -> dict:
    plan = pending.plan
    work = import_plan(pending)
    Task.objects.bulk_create(work.to_create, batch_size=500)
    # Only the columns that changed somewhere: each one is a CASE over the whole batch.
    fields = [
        f for f in UPDATED_FIELDS if f in work.changed_fields or f"{f}_id" in work.changed_fields
    ]
    if work.to_update and fields:
        Task.objects.bulk_update(work.to_update, fields, batch_size=500)
    tasks = {t.import_key: t for t in [*work.to_create, *work.to_update]}
    through = Task.assisting_units.through
    rewritten = [t.pk for t in work.to_update if t.import_key in work.assisting]
    through.objects.filter(task_id__in=rewritten).delete()
    through.objects.bulk_create(
        [
            through(task_id=tasks[key].pk, orgunit_id=u)
            for key, units in work.assisting.items()
            for u in sorted(units)
        ],
        batch_size=1000,
    )
    # In the same transaction, in a constant number of queries: a task is never without its
    # deadline. Only new tasks and moved deadlines (re)start: a re-import that only fixes a
    # title keeps the reminders and escalation already under way.
    tasks_deadline_sync(work.to_create, new=True)
    touched = [t.pk for t in [*work.to_create, *work.deadline_moved]]
    if touched:
        transaction.on_commit(lambda: sync_task_steps.delay(touched))
    tasks_deadline_sync(work.deadline_moved)
    retired = _retire_missing(actor, plan, pending) if retire_missing else 0
    pending.confirmed_at = timezone.now()
    pending.save(update_fields=["confirmed_at"])
    summary = {**work.counts, "retired": retired}
    audit_record(
        actor=actor, action="task.import", obj=plan, after={"file": pending.file_name, **summary}
    )
    return summary


def _titles(titles, limit=30) -> str:
    titles = list(titles)
    shown = "；".join(titles[:limit])
    if len(titles) > limit:
        shown += _("… (%(n)s in all)") % {"n": len(titles)}
    return shown


@transaction.atomic
def import_request_change(*, actor, pending_id, reason: str, retire_missing: bool = False):
    """Send a previewed import of a plan in force to the committee as a change request."""
    pending = _pending_for(actor, pending_id, lock=True)
    _refuse_unmapped(pending)
    plan = _lock_in_force(actor, pending.plan)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the task list changes.")})
    changes = import_plan(pending)
    created = [t.title for t in changes.to_create]
    updated = [t.title for t in changes.to_update]
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
            steps.advance(task, actor=actor, outcome="retired")
        retired += 1
    return retired
