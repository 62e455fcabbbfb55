"""Reads of observations: lists per role and who is behind on their duty."""

import datetime

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .access import visible_observations
from .models import Duty, Observation, ObservationForm
from .services import expected_by


def _listed(qs):
    return qs.select_related("course", "observer", "teacher", "version__form", "case")


def observations_by(user):
    return _listed(Observation.objects.filter(observer=user))


def observations_about(user):
    return _listed(Observation.objects.filter(teacher=user))


def observations_for(user):
    return _listed(visible_observations(user))


def current_form():
    """The sheet a new observation is filled on: the first active form's newest version."""
    form = ObservationForm.objects.filter(is_active=True).order_by("pk").first()
    return form.current_version() if form else None


def duty_rows(*, day: datetime.date | None = None, behind_only: bool = False, observer=None):
    """The duties whose window holds `day`, each with what was expected by then and whether the
    observer is behind (fewer than expected, or the window over and the quota not met)."""
    day = day or timezone.localdate()
    qs = (
        Duty.objects.filter(start__lte=day, end__gte=day)
        .select_related("observer", "unit", "quota")
        .order_by("quota__per", "observer__full_name", "pk")
    )
    if observer is not None:
        qs = qs.filter(observer=observer)
    if behind_only:
        qs = qs.filter(done__lt=F("required"))
    rows = []
    for duty in qs:
        expected = expected_by(duty, day)
        behind = duty.done < expected
        if behind_only and not behind:
            continue
        rows.append(
            {
                "duty": duty,
                "expected": expected,
                "behind": behind,
                "met": duty.done >= duty.required,
            }
        )
    return rows


def case_origin(user, case):
    """The observation a case was opened from, for the case page (cases.origins): a link for
    those who may open the observation, its name otherwise."""
    from cases.models import Case
    from cases.origins import Origin

    if case.source != Case.Source.OBSERVATION:
        return None
    observation = (
        Observation.objects.select_related("course").filter(case_id=case.pk).order_by("pk").first()
    )
    if observation is None:
        return None
    url = observation.get_absolute_url() if access.can_view(user, observation) else ""
    return Origin(label=_("Class observation record"), text=str(observation), url=url)
