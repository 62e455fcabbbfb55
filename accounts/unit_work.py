"""Open work held by org units: what stops a unit from being closed, and how to hand it over.

Feature apps register a provider from AppConfig.ready(): `provider(units) -> list[Work]`, where
`units` is the queryset of the units being closed (the unit and everything below it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class Work:
    label: str  # what it is, for people ("open cases")
    count: int
    # Moves the work to another unit; None when it must be handed over on the work's own pages.
    hand_over: Callable[[object], None] | None = None


Provider = Callable[[QuerySet], list[Work]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def open_work(units: QuerySet) -> list[Work]:
    found = []
    for provider in _providers:
        found.extend(w for w in provider(units) if w.count)
    return found


def memberships(units: QuerySet) -> list[Work]:
    from django.utils.translation import gettext as _

    from .models import Membership

    held = Membership.objects.filter(org_unit__in=units)

    def hand_over(target):
        for membership in held.select_related("user"):
            Membership.objects.get_or_create(
                user=membership.user, org_unit=target, role=membership.role
            )
        held.delete()

    return [Work(_("memberships"), held.count(), hand_over)]
