"""Reads for pages, the API, exports and charts. Each list is one query, filtered by access."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import access
from accounts.home import Card

from . import access_rules
from . import capabilities as caps
from .models import (
    LARGE_LOOP,
    OPEN_WARNING_STATES,
    SMALL_LOOP,
    Cycle,
    Improvement,
    Indicator,
    Reading,
    ReadingStatus,
    Stage,
    Subject,
    Warning,
)


def subjects_for(user):
    return Subject.objects.filter(access_rules.subject_filter(user)).select_related(
        "responsible_unit"
    )


def find_subject(key: str, level: str) -> Subject | None:
    """The subject at a level named by a unit code, a username or a staff number."""
    key = (key or "").strip()
    if not key:
        return None
    return (
        Subject.objects.filter(level=level)
        .filter(
            Q(subject_unit__code=key)
            | Q(subject_user__username=key)
            | Q(subject_user__staff_no=key)
        )
        .first()
    )


def warnings_for(user, *, open_only: bool = False):
    qs = Warning.objects.filter(access_rules.owned_filter(user)).select_related(
        "indicator", "subject", "period", "responsible_unit"
    )
    if open_only:
        qs = qs.filter(status__in=OPEN_WARNING_STATES)
    return qs


def improvements_for(user, unit=None):
    qs = Improvement.objects.filter(access_rules.owned_filter(user)).select_related(
        "warning__indicator", "subject", "period", "owner", "responsible_unit", "signed_off_by"
    )
    if unit is not None:
        qs = qs.filter(responsible_unit__path__startswith=unit.path)
    return qs


def cycles_for(user):
    return Cycle.objects.filter(access_rules.owned_filter(user)).select_related(
        "subject", "period", "responsible_unit"
    )


def readings_to_approve(user):
    """Pending readings of indicators this user approves (as named approver or unit head)."""
    if not access.is_active_user(user):
        return Reading.objects.none()
    by_unit = access.unit_filter(user, caps.READING_APPROVE, prefix="indicator__data_owner_unit__")
    return (
        Reading.objects.filter(status=ReadingStatus.PENDING)
        .filter(Q(indicator__approver=user) | (Q(indicator__approver__isnull=True) & by_unit))
        .exclude(entered_by=user)
        .select_related("indicator", "subject", "period", "entered_by")
    )


def indicators_enterable(user):
    if not access.is_active_user(user):
        return Indicator.objects.none()
    return Indicator.objects.filter(
        access.unit_filter(user, caps.READING_ENTER, prefix="data_owner_unit__"), is_active=True
    )


def trend(subject: Subject, indicator: Indicator) -> dict:
    """The approved series of one indicator for one subject, with target and bands."""
    rows = list(
        Reading.objects.filter(subject=subject, indicator=indicator, is_current=True)
        .select_related("period")
        .order_by("period__start")
    )
    target = indicator.target_for(rows[-1].period) if rows else indicator.target_value
    rows = [(r.period.name, r.value) for r in rows]
    return {
        "indicator": indicator.name,
        "unit": indicator.unit_of_measure,
        "direction": indicator.direction,
        "periods": [p for p, _v in rows],
        "values": [float(v) for _p, v in rows],
        "target": float(target) if target is not None else None,
        "yellow": float(indicator.yellow_threshold),
        "red": float(indicator.red_threshold),
        "min": float(indicator.min_value),
        "max": float(indicator.max_value) if indicator.max_value is not None else None,
    }


def radar(subject: Subject, periods) -> dict:
    """A teacher's or student's development: each indicator of the level, as % of its target,
    from its latest approved reading in these periods (a weekly indicator's latest week next to
    a yearly indicator's year)."""
    indicators = list(Indicator.objects.filter(level=subject.level, is_active=True))
    values: dict[int, object] = {}
    latest = (
        Reading.objects.filter(subject=subject, period__in=periods, is_current=True)
        .order_by("indicator_id", "-period__start")
        .values_list("indicator_id", "value")
    )
    for indicator_id, value in latest:
        values.setdefault(indicator_id, value)
    axes, data = [], []
    for ind in indicators:
        top = ind.max_value or ind.target_value or 100
        axes.append({"name": ind.name, "max": float(top)})
        data.append(float(values[ind.pk]) if ind.pk in values else 0)
    return {"axes": axes, "values": data}


def heatmap(user, periods=None) -> dict:
    """Open warnings counted by responsible unit × indicator, one grouped query."""
    qs = warnings_for(user, open_only=True)
    if periods is not None:
        qs = qs.filter(period__in=periods)
    rows = list(
        qs.values("responsible_unit__name", "indicator__name")
        .annotate(n=Count("pk"))
        .order_by("responsible_unit__name", "indicator__name")
    )
    units = sorted({r["responsible_unit__name"] for r in rows})
    indicators = sorted({r["indicator__name"] for r in rows})
    cells = [
        [indicators.index(r["indicator__name"]), units.index(r["responsible_unit__name"]), r["n"]]
        for r in rows
    ]
    return {"units": units, "indicators": indicators, "cells": cells}


def stage_overview(user, period, level) -> dict:
    """How many subjects sit at each stage, per responsible unit (one grouped query)."""
    rows = (
        cycles_for(user)
        .filter(period=period, level=level)
        .values("responsible_unit__name", "stage")
        .annotate(n=Count("pk"))
        .order_by("responsible_unit__name")
    )
    stages = [*SMALL_LOOP, Stage.WARN, Stage.IMPROVE, *LARGE_LOOP]
    table: dict[str, dict[str, int]] = {}
    for r in rows:
        table.setdefault(r["responsible_unit__name"], dict.fromkeys(stages, 0))[r["stage"]] = r["n"]
    return {
        "stages": [(s, Stage(s).label) for s in stages],
        "rows": [(unit, [counts[s] for s in stages]) for unit, counts in table.items()],
    }


def home_cards(user) -> list[Card]:
    if not access.is_active_user(user):
        return []
    from engine.selectors import inbox_card

    from .flows import ImprovementFlow, ReadingFlow

    # what waits for the user is counted by the one inbox; the open warnings are the units'
    cards = [inbox_card(user, ReadingFlow, _("Readings to approve"))]
    open_warnings = warnings_for(user, open_only=True).filter(status="open").count()
    if open_warnings:
        cards.append(Card(_("Open warnings"), open_warnings, reverse("monitoring:warning_list")))
    cards.append(inbox_card(user, ImprovementFlow, _("My improvements")))
    return [card for card in cards if card.count]
