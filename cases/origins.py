"""Where a case came from, as a way back to it. A feature that opens cases from its own records (a
class observation) registers a callable `f(user, case) -> Origin | None`; the case page shows one
row per origin, a link only for a viewer who may open the record (its name as plain text for
everyone else). The case's own text keeps no address: a path written into it reads as raw text
and would point anyone at a page they may not open."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    label: str  # what the record is (听课记录)
    text: str  # which one (the course, the teacher, the day)
    url: str = ""  # empty when the viewer may not open it


_providers: list = []


def register(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def origins_of(user, case) -> list[Origin]:
    return [o for o in (provider(user, case) for provider in _providers) if o is not None]
