"""Production static files: WhiteNoise's hashed, compressed storage, lenient with packages' CSS.

Django's manifest storage rewrites every ``url(...)`` in a collected CSS file to the hashed name
of its target and aborts ``collectstatic`` when a target does not exist. Installed packages ship
such references: django-viewflow 2.4 carries a stray copy of ``roboto-fontface.css`` (under
``node_modules/``) whose fonts were never packaged. Nothing here serves that file, yet it stopped
every deployment. A package's file with a dangling reference keeps that reference as written
(one warning per file names them); the project's own files (``STATICFILES_DIRS``) stay strict,
so a typo in ``static/css/app.css`` still fails the build.
"""

import logging

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    _third_party: frozenset[str] = frozenset()

    def post_process(self, paths, dry_run=False, **options):
        own_dirs = {str(d) for d in settings.STATICFILES_DIRS}
        self._third_party = frozenset(
            name
            for name, (storage, _path) in paths.items()
            if not (isinstance(storage, FileSystemStorage) and str(storage.location) in own_dirs)
        )
        self._left_as_written: dict[str, set[str]] = {}
        yield from super().post_process(paths, dry_run=dry_run, **options)
        for name, missing in sorted(self._left_as_written.items()):
            logger.warning(
                "%s refers to missing files (%s); those references are left as written",
                name,
                ", ".join(sorted(m.rsplit("/", 1)[-1] for m in missing)),
            )

    def url_converter(self, name, hashed_files, template=None):
        converter = super().url_converter(name, hashed_files, template)
        if name not in self._third_party:
            return converter

        def lenient(matchobj):
            try:
                return converter(matchobj)
            except ValueError as exc:
                missing = self._error_msg_re.search(str(exc))
                if missing is None:
                    raise
                self._left_as_written.setdefault(name, set()).add(missing[1])
                return matchobj["matched"]

        return lenient
