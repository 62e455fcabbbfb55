"""Panels other features add to an org unit's page (e.g. a review sanction flag)."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Panel:
    title: str
    lines: list[str] = field(default_factory=list)
    url: str = ""
    alert: bool = False


PanelProvider = Callable[[object, object], list[Panel]]
_providers: list[PanelProvider] = []


def register(provider: PanelProvider) -> PanelProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(user, unit) -> list[Panel]:
    panels: list[Panel] = []
    for provider in _providers:
        panels.extend(provider(user, unit))
    return panels
