"""Warnings: raise, re-grade, resolve, idempotence, escalation, hooks; set-based."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from workflows.monitoring import engine_bridge, evaluation, hooks, services
from workflows.monitoring.models import Cycle, Reading, Stage, Warning, WarningStatus

pytestmark = pytest.mark.django_db


def _open(mon):
    return Warning.objects.filter(status__in=["open", "acknowledged"])


@freeze_time("2026-10-12 09:00:00")
def test_approval_raises_a_warning_against_the_responsible_unit(cast, mon, approved):
    approved(mon.employment, mon.rj, "88")  # below yellow 90, above red 85
    warning = Warning.objects.get()
    assert warning.subject == mon.rj
    assert warning.responsible_unit == cast.units.rj
    assert warning.level == "yellow"
    assert warning.value == Decimal("88")
    assert warning.status == WarningStatus.OPEN
    assert warning.raised_at.isoformat() == "2026-10-12T09:00:00+00:00"


def test_inside_the_band_raises_nothing_and_reruns_are_idempotent(cast, mon, approved):
    approved(mon.employment, mon.rj, "92")
    approved(mon.employment, mon.wl, "70")
    assert _open(mon).count() == 1
    for _ in range(3):
        result = evaluation.evaluate(mon.y2026, [mon.employment])
        assert (result.raised, result.resolved, result.regraded) == (0, 0, 0)
    assert Warning.objects.count() == 1


def test_a_correction_regrades_then_resolves(cast, mon, approved):
    approved(mon.employment, mon.rj, "88")
    approved(mon.employment, mon.rj, "80")  # a correction: new version, now red
    warning = Warning.objects.get()
    assert warning.level == "red" and warning.value == Decimal("80")
    approved(mon.employment, mon.rj, "93")  # back inside the band
    warning.refresh_from_db()
    assert warning.status == WarningStatus.RESOLVED
    assert warning.resolved_at is not None
    # a later drift raises a fresh warning, the resolved one stays in history
    approved(mon.employment, mon.rj, "60")
    assert Warning.objects.count() == 2
    assert _open(mon).get().level == "red"


def test_lower_is_better_direction(cast, mon, approved):
    approved(mon.complaints, mon.college, "3")
    assert Warning.objects.get().level == "yellow"
    approved(mon.complaints, mon.college, "6")
    assert Warning.objects.get().level == "red"


def test_evaluation_is_set_based(cast, mon, approved):
    for subject, value in ((mon.rj, "80"), (mon.wl, "70"), (mon.jdyt, "88")):
        approved(mon.employment, subject, value)
    Warning.objects.all().delete()
    with CaptureQueriesContext(connection) as few:
        evaluation.evaluate(mon.y2026, [mon.employment])
    assert Warning.objects.count() == 3
    Warning.objects.all().delete()
    extra = [services.subject_for_unit(u) for u in _more_majors(cast, 20)]
    for subject in extra:
        approved(mon.employment, subject, "50")
    with CaptureQueriesContext(connection) as many:
        evaluation.evaluate(mon.y2026, [mon.employment])
    assert Warning.objects.count() == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def _more_majors(cast, n):
    from accounts.models import OrgUnit
    from tests.factories import unit

    return [
        OrgUnit.objects.get(pk=unit(f"m{i}", f"专业{i}", OrgUnit.Kind.MAJOR, cast.units.jd).pk)
        for i in range(n)
    ]


def test_warning_moves_the_small_loop(cast, mon, approved):
    cycle = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=mon.rj.level, responsible_unit=cast.units.rj
    )
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.MONITOR)
    approved(mon.employment, mon.rj, "70")
    cycle.refresh_from_db()
    assert cycle.stage == Stage.WARN


def test_hook_called_for_indicators_that_open_cases(cast, mon, approved):
    calls = []
    hooks.register_warning_hook(calls.append)
    try:
        approved(mon.employment, mon.rj, "70")
        assert calls == []  # not configured for this indicator
        mon.complaints.opens_case = True
        mon.complaints.save()
        approved(mon.complaints, mon.college, "9")
        assert [w.indicator.code for w in calls] == ["P04"]
    finally:
        hooks.on_warning_raised.remove(calls.append)


def test_escalation_signal_marks_the_warning(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    deadline = SimpleNamespace(kind=engine_bridge.DEADLINE_KIND, object_id=str(warning.pk))
    with freeze_time("2026-10-20"):
        engine_bridge.on_deadline_escalated(sender=None, deadline=deadline, level=2)
    warning.refresh_from_db()
    assert warning.escalation_level == 2
    other = SimpleNamespace(kind="case.acceptance", object_id=str(warning.pk))
    engine_bridge.on_deadline_escalated(sender=None, deadline=other, level=3)
    warning.refresh_from_db()
    assert warning.escalation_level == 2


def test_acknowledge_within_the_configured_days(cast, mon, approved, login):
    mon.employment.response_working_days = 5
    mon.employment.save()
    assert engine_bridge.response_working_days(mon.employment) == 5
    approved(mon.employment, mon.rj, "70")
    warning = Warning.objects.get()
    client = login(cast.software_lead)
    client.post(f"/monitoring/warnings/{warning.pk}/acknowledge/")
    warning.refresh_from_db()
    assert warning.status == WarningStatus.ACKNOWLEDGED
    assert warning.acknowledged_by == cast.software_lead


def test_follow_up_is_batched(cast, mon, approved):
    """Deadlines, notifications and cycle moves for many raised warnings: the number of queries
    grows with the number of responsible units (their leaders are read once each), not with
    the number of warnings."""
    from accounts.models import Role
    from engine.models import Deadline, Notification
    from tests.factories import MembershipFactory, UserFactory
    from workflows.levels import Level

    def evaluate_all():
        Warning.objects.all().delete()
        Deadline.objects.all().delete()
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            result = services.warnings_evaluate(period=mon.y2026, indicators=[mon.attendance])
        return result, len(queries.captured_queries)

    def students(n, start):
        for i in range(start, start + n):
            user = UserFactory(username=f"s{i}", full_name=f"学生{i}")
            MembershipFactory(user=user, org_unit=cast.units.rj, role=Role.STUDENT)
            approved(mon.attendance, services.subject_for_user(user, Level.STUDENT), "80")

    students(12, 0)
    evaluate_all()  # per-process caches (content types, message wordings) warm up once
    few, few_queries = evaluate_all()
    students(20, 12)
    many, many_queries = evaluate_all()
    assert (few.raised, many.raised) == (12, 32)
    assert many_queries == few_queries
    assert Deadline.objects.filter(kind=engine_bridge.DEADLINE_KIND).count() == 32
    # each student hears of their own warning; 32 warnings in one unit reach the leaders as
    # one digest linking to the unit's warnings, not 32 messages each
    warnings = Warning.objects.select_related("subject__subject_user")
    singles = Notification.objects.filter(kind=engine_bridge.WARNING_RAISED)
    assert sorted(singles.values_list("recipient__username", "object_id")) == sorted(
        (w.subject.subject_user.username, str(w.pk)) for w in warnings
    )
    digests = Notification.objects.filter(kind=engine_bridge.WARNINGS_DIGEST)
    assert sorted(digests.values_list("recipient__username", flat=True)) == [
        "rj_leader",
        "xx_leader",
    ]
    assert all("32" in d.title and f"unit={cast.units.rj.pk}" in d.url for d in digests)
    # a re-run follows up nothing again
    count = Notification.objects.count()
    with CaptureQueriesContext(connection) as again:
        services.warnings_evaluate(period=mon.y2026, indicators=[mon.attendance])
    assert Notification.objects.count() == count
    assert len(again.captured_queries) < few_queries


def test_below_the_digest_size_leaders_hear_of_each_warning(cast, mon, approved, settings):
    from engine.models import Notification

    settings.MONITORING_WARNING_DIGEST_AT = 3
    approved(mon.employment, mon.rj, "70")
    approved(mon.employment, mon.wl, "70")
    told = Notification.objects.filter(kind=engine_bridge.WARNING_RAISED).values_list(
        "recipient__username", flat=True
    )
    assert {"xx_leader", "rj_leader"} <= set(told)
    assert not Notification.objects.filter(kind=engine_bridge.WARNINGS_DIGEST).exists()


def test_the_digest_link_lists_the_units_warnings_and_keeps_the_filter_when_paging(
    cast, mon, approved, login
):
    approved(mon.employment, mon.rj, "70")
    approved(mon.employment, mon.jdyt, "70")
    client = login(cast.quality_officer)
    page = client.get(f"/monitoring/warnings/?unit={cast.units.rj.pk}&status=all")
    assert page.status_code == 200
    shown = [w.subject for w in page.context["page"]]
    assert shown == [mon.rj]
    other = login(cast.jd_leader).get(f"/monitoring/warnings/?unit={cast.units.rj.pk}")
    assert other.status_code == 404


def test_resolving_many_cancels_their_deadlines_at_once(cast, mon, approved):
    from engine.models import Deadline

    for subject in (mon.rj, mon.wl, mon.jdyt):
        approved(mon.employment, subject, "70")
    assert Deadline.objects.filter(status=Deadline.Status.OPEN).count() == 3
    Reading.objects.filter(is_current=True).update(value=Decimal("99"))
    result = services.warnings_evaluate(period=mon.y2026, indicators=[mon.employment])
    assert result.resolved == 3
    assert Deadline.objects.filter(status=Deadline.Status.CANCELLED).count() == 3
