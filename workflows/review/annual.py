"""The annual quality report (年度质量报告) and level reports, assembled from section providers.

A provider is a callable `(context) -> Section | None`, registered with `register_section`.
This feature ships providers for what exists now (org units, self-diagnosis reports, review
conclusions, sanctions); plans, monitoring and cases register theirs after the merge. Providers
run in `order`; each returns headings, paragraphs, tables and charts (PNG bytes).
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Chart:
    title: str
    png: bytes


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass(frozen=True)
class AssemblyContext:
    year: int
    level: str = ""  # empty: the annual report of the whole college


@dataclass(frozen=True)
class SectionProvider:
    key: str
    order: int
    build: Callable[[AssemblyContext], Section | None]
    levels: tuple[str, ...] = ()  # the level reports it also contributes to


_providers: dict[str, SectionProvider] = {}


def register_section(provider: SectionProvider) -> SectionProvider:
    _providers[provider.key] = provider
    return provider


def providers_for(context: AssemblyContext) -> list[SectionProvider]:
    """Every provider builds the annual report; a level report takes those naming its level."""
    chosen = [p for p in _providers.values() if not context.level or context.level in p.levels]
    return sorted(chosen, key=lambda p: p.order)


def assemble(context: AssemblyContext, progress: Callable[[int, str], None] | None = None):
    """Run every provider; `progress(percent, title)` is called after each section."""
    chosen = providers_for(context)
    sections = []
    for index, provider in enumerate(chosen, start=1):
        section = provider.build(context)
        if section is not None:
            sections.append(section)
        if progress:
            progress(int(index * 100 / len(chosen)), section.title if section else provider.key)
    return sections
