"""Evidence sources: where a report row's evidence can be picked from.

Other features register a source (readings, warnings, improvements, cases ...) after the
merge with `register(EvidenceSource(...))`. A source lists candidate objects a user may link
for a report and says how to label them; the link itself is a generic EvidenceLink.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EvidenceSource:
    key: str
    label: str
    # (user, report) -> queryset of candidate objects the user may link for that report
    candidates: Callable
    describe: Callable = str


_sources: dict[str, EvidenceSource] = {}


def register(source: EvidenceSource) -> EvidenceSource:
    _sources[source.key] = source
    return source


def sources() -> list[EvidenceSource]:
    return list(_sources.values())


def get_source(key: str) -> EvidenceSource | None:
    return _sources.get(key)


def _report_documents(user, report):
    return report.documents.all()


def register_builtin():
    register(
        EvidenceSource(
            key="documents",
            label=_("Uploaded documents"),
            candidates=_report_documents,
        )
    )
