"""Every write of the state-data imports: keyword-only, atomic, permission first, audited."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from engine.imports import ImportFileError, import_start
from engine.models import ImportRun
from workflows.monitoring import access_rules

from . import imports
from .models import KEY_LEVELS, Profile, ProfileColumn, SubjectKey, Upload


def _snapshot(profile: Profile) -> dict:
    return {
        "code": profile.code,
        "name": profile.name,
        "sheet": profile.sheet_name,
        "header_row": profile.header_row,
        "subject": [profile.subject_key, profile.subject_column, profile.subject_map],
        "period": [profile.period_column, profile.period_id],
        "active": profile.is_active,
        "columns": [
            [c.header, c.indicator.code, c.value_map, str(c.scale)]
            for c in profile.columns.select_related("indicator")
        ],
    }


def check_columns(profile: Profile, columns: list[ProfileColumn]) -> None:
    """The value columns fit the profile: at least one, headers and indicators once each, and
    every indicator at a level the subject key can name."""
    errors = []
    if not columns:
        errors.append(_("Add at least one value column."))
    levels = KEY_LEVELS[SubjectKey(profile.subject_key)]
    headers = [imports.normalize(profile.subject_column)]
    if profile.period_column:
        headers.append(imports.normalize(profile.period_column))
    seen = set()
    for column in columns:
        header = imports.normalize(column.header)
        if header in headers:
            errors.append(_("The column “%(h)s” is named twice.") % {"h": column.header})
        headers.append(header)
        if column.indicator_id in seen:
            errors.append(
                _("The indicator “%(i)s” is read from two columns.") % {"i": column.indicator}
            )
        seen.add(column.indicator_id)
        if column.indicator.level not in levels:
            errors.append(
                _("“%(i)s” is a %(level)s indicator; a %(key)s names no such subject.")
                % {
                    "i": column.indicator,
                    "level": column.indicator.get_level_display(),
                    "key": profile.get_subject_key_display(),
                }
            )
        if column.indicator.period_kind == "week" and profile.period_id is None:
            continue
        if profile.period_id is not None and column.indicator.period_kind != profile.period.kind:
            errors.append(
                _("“%(i)s” is read per %(kind)s; the fixed period is a %(other)s.")
                % {
                    "i": column.indicator,
                    "kind": column.indicator.get_period_kind_display(),
                    "other": profile.period.get_kind_display(),
                }
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def profile_save(*, actor, profile: Profile, columns: list[ProfileColumn]) -> Profile:
    """Create or update a profile with exactly these value columns (a new version)."""
    access_rules.require_configure(actor)
    before = _snapshot(Profile.objects.get(pk=profile.pk)) if profile.pk else None
    profile.full_clean()
    check_columns(profile, columns)
    if profile.pk:
        profile.version = Profile.objects.select_for_update().get(pk=profile.pk).version + 1
    profile.updated_by = actor
    profile.save()
    profile.columns.all().delete()
    for position, column in enumerate(columns):
        column.pk = None
        column.profile = profile
        column.position = position
        column.full_clean()
        column.save()
    audit_record(
        actor=actor,
        action="statedata.profile.update" if before else "statedata.profile.create",
        obj=profile,
        before=before,
        after=_snapshot(profile),
    )
    return profile


@transaction.atomic
def upload_preview(*, actor, profile: Profile, file) -> Upload:
    """Check the file's shape against the profile (wrong type, sheet or headers, too many
    blank rows: ImportFileError, nothing stored), store it, and preview it as an engine run:
    in the request when small, else in the background behind the progress page."""
    imports.ensure_can_import(actor, profile)
    name = PurePosixPath(getattr(file, "name", "") or "").name
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ImportFileError(_("Upload a file of type %(types)s.") % {"types": ".xlsx / .csv"})
    reader = imports.open_reader(file, name)
    rows = imports.check_upload(reader, profile)
    file.seek(0)
    upload = Upload(
        profile=profile,
        profile_version=profile.version,
        file_name=name[:200],
        rows=rows,
        actor=actor,
    )
    upload.file.save(name or "table", File(file) if hasattr(file, "read") else file, False)
    upload.save()
    run = import_start(
        actor=actor,
        kind="statedata.preview",
        options={"upload": upload.pk},
        rows=rows,
        file_name=upload.file_name,
    )
    _set_total(run, rows)
    Upload.objects.filter(pk=upload.pk).update(preview_run=run)
    upload.preview_run = run
    return upload


def _set_total(run: ImportRun, rows) -> None:
    # The progress bar's scale while a background run reads (it counts exactly as it goes).
    if rows is not None and not run.finished:
        ImportRun.objects.filter(pk=run.pk, total__isnull=True).update(total=rows)


def upload_state(upload: Upload) -> str:
    """previewing, preview_failed, previewed, importing, imported, import_failed."""
    if upload.import_run_id:
        status = upload.import_run.status
        if status == ImportRun.Status.DONE:
            return "imported"
        return "import_failed" if status == ImportRun.Status.FAILED else "importing"
    run = upload.preview_run
    if run is None or not run.finished:
        return "previewing"
    return "previewed" if run.status == ImportRun.Status.DONE else "preview_failed"


@transaction.atomic
def upload_confirm(*, actor, upload: Upload, keep_good_rows: bool = False) -> ImportRun:
    """Import a previewed upload. Refused when the preview is not done, the profile changed
    since, the upload was already imported, or the preview found errors and the user did not
    say to keep the good rows."""
    imports.ensure_can_import(actor, upload.profile)
    upload = Upload.objects.select_for_update().select_related("profile").get(pk=upload.pk)
    if upload.actor_id != actor.pk:
        raise PermissionDenied(_("Only whoever uploaded a table confirms its import."))
    state = upload_state(upload)
    if state in ("imported", "importing"):
        raise ValidationError(_("This table is already imported."))
    if state != "previewed" and state != "import_failed":
        raise ValidationError(_("The preview is not ready; wait for it to finish."))
    if upload.profile.version != upload.profile_version:
        raise ValidationError(
            _("The profile was changed after this preview; upload the table again.")
        )
    if upload.preview_run.error_count and not keep_good_rows:
        raise ValidationError(
            _(
                "The preview found %(n)s cells with errors: fix the table and upload it again, "
                "or tick “import the good rows”."
            )
            % {"n": upload.preview_run.error_count}
        )
    if not upload.file:
        raise ValidationError(_("The uploaded file is no longer kept; upload it again."))
    run = import_start(
        actor=actor,
        kind="statedata",
        options={"upload": upload.pk, "keep_good_rows": bool(keep_good_rows)},
        rows=upload.preview_run.total,
        file_name=upload.file_name,
    )
    _set_total(run, upload.preview_run.total)
    Upload.objects.filter(pk=upload.pk).update(import_run=run)
    return run
