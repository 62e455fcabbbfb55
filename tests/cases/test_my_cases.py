"""The cases tied to a person (cases.access._my_cases): compiled once per process for everyone
who stands in for nobody (engine.prepared), built by the ORM for a deputy; both say the same."""

import datetime

from django.utils import timezone

from accounts.models import User
from cases import access
from cases.models import Status
from engine.models import Absence

from .factories import advance, file_case


def _as_queried(user):
    found = {"named": set(), "held": set(), "investigated": set()}
    for case_id, *flags in access._my_cases_query(user):
        for kind, flag in zip(("named", "held", "investigated"), flags, strict=True):
            if flag:
                found[kind].add(case_id)
    return {kind: sorted(ids) for kind, ids in found.items()}


def test_the_compiled_and_the_built_query_find_the_same_cases_for_everyone(cast):
    investigated = advance(cast, file_case(cast.teacher, cast.units.rj), Status.INVESTIGATING)
    file_case(cast.student, cast.units.xx)
    today = timezone.localdate()
    Absence.objects.create(
        user=cast.xx_member,
        deputy=cast.xx_leader,
        kind=Absence.Kind.TRIP,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=2),
    )
    tied = 0
    for person in User.objects.all():
        mine = access._my_cases(User.objects.get(pk=person.pk))
        assert mine == _as_queried(User.objects.get(pk=person.pk)), person.username
        tied += any(mine.values())
    assert access._my_cases(User.objects.get(pk=cast.xx_member.pk))["investigated"] == [
        investigated.pk
    ]
    assert tied >= 1
