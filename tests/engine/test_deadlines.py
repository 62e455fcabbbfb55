"""The escalation ladder end to end with frozen time; inbox, overdue list, timeline."""

import threading
from datetime import date, datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from engine import deadlines, selectors, signals
from engine.deadlines import ensure_rule
from engine.models import Deadline, Notification

KIND = "case.investigation"  # seeded rule: remind 2 before, leader at due, college 3 after


@pytest.fixture
def escalations():
    seen = []

    def receiver(sender, deadline, level, **kwargs):
        seen.append((deadline.pk, level))

    signals.deadline_escalated.connect(receiver, weak=False)
    yield seen
    signals.deadline_escalated.disconnect(receiver)


def start(cast, obj=None):
    obj = obj or cast.units.rj
    with freeze_time("2026-11-02 09:00:00+08:00"):  # Monday; due Monday 9 Nov
        return deadlines.deadline_start(
            obj=obj,
            kind=KIND,
            owner_unit=cast.units.rj,
            owner_user=cast.software_lead,
            working_days=5,
        )


def sweep_at(moment, django_capture_on_commit_callbacks):
    with freeze_time(moment), django_capture_on_commit_callbacks(execute=True):
        return deadlines.escalation_sweep()


def sent():
    return list(Notification.objects.order_by("id").values_list("kind", "recipient__username"))


def test_the_ladder_reminds_then_escalates_twice_each_step_once(
    cast, login, escalations, django_capture_on_commit_callbacks
):
    deadline = start(cast)
    assert sweep_at("2026-11-04 18:00:00+08:00", django_capture_on_commit_callbacks) == 0
    # Thursday 5 Nov is two working days before the due day (Mon 9 Nov): remind the owner
    assert sweep_at("2026-11-05 00:00:01+08:00", django_capture_on_commit_callbacks) == 1
    assert sweep_at("2026-11-05 09:00:00+08:00", django_capture_on_commit_callbacks) == 0
    assert sent() == [("deadline.remind", "rj_leader")]
    assert sweep_at("2026-11-06 10:00:00+08:00", django_capture_on_commit_callbacks) == 0
    # the home page has one to-do list (the inbox's): no second list of deadlines beside it
    with freeze_time("2026-11-09 12:00:00+08:00"):
        page = login(cast.software_lead).get(reverse("home")).content.decode()
    assert 'id="my-tasks"' in page and 'id="my-deadlines"' not in page
    # still due today at noon: nothing new
    assert sweep_at("2026-11-09 12:00:00+08:00", django_capture_on_commit_callbacks) == 0
    # past due: the department leader (软件技术 belongs to 信息工程系)
    assert sweep_at("2026-11-10 08:00:00+08:00", django_capture_on_commit_callbacks) == 1
    assert sweep_at("2026-11-10 08:05:00+08:00", django_capture_on_commit_callbacks) == 0
    assert sent()[-1] == ("deadline.leader", "xx_leader")
    # three working days after the due day (Thu 12 Nov, end of day) → quality office
    assert sweep_at("2026-11-12 18:00:00+08:00", django_capture_on_commit_callbacks) == 0
    assert sweep_at("2026-11-13 00:00:01+08:00", django_capture_on_commit_callbacks) == 1
    assert sweep_at("2026-11-20 09:00:00+08:00", django_capture_on_commit_callbacks) == 0
    assert sent() == [
        ("deadline.remind", "rj_leader"),
        ("deadline.leader", "xx_leader"),
        ("deadline.college", "zgb"),
    ]
    deadline.refresh_from_db()
    assert deadline.escalation_level == Deadline.Level.COLLEGE and deadline.next_action_at is None
    assert [level for _pk, level in escalations] == [1, 2, 3]
    timeline = list(selectors.timeline(cast.units.rj).values_list("action", "after__level"))
    assert timeline == [
        ("deadline.remind", 1),
        ("deadline.escalate", 2),
        ("deadline.escalate", 3),
    ]


def test_a_sweep_that_missed_days_takes_every_due_step_once(
    cast, django_capture_on_commit_callbacks
):
    start(cast)
    assert sweep_at("2026-11-16 09:00:00+08:00", django_capture_on_commit_callbacks) == 3
    assert sweep_at("2026-11-16 09:00:00+08:00", django_capture_on_commit_callbacks) == 0
    assert [k for k, _u in sent()] == ["deadline.remind", "deadline.leader", "deadline.college"]


def test_completing_in_time_stops_the_ladder(cast, django_capture_on_commit_callbacks):
    start(cast)
    sweep_at("2026-11-06 09:00:00+08:00", django_capture_on_commit_callbacks)
    deadlines.deadline_complete(obj=cast.units.rj, kind=KIND)
    deadlines.deadline_complete(obj=cast.units.rj, kind=KIND)  # idempotent
    assert sweep_at("2026-11-20 09:00:00+08:00", django_capture_on_commit_callbacks) == 0
    assert [k for k, _u in sent()] == ["deadline.remind"]


def test_restarting_replaces_the_due_date_and_the_ladder_starts_over(
    cast, django_capture_on_commit_callbacks
):
    start(cast)
    sweep_at("2026-11-06 09:00:00+08:00", django_capture_on_commit_callbacks)
    with freeze_time("2026-11-06 10:00:00+08:00"):
        moved = deadlines.deadline_start(
            obj=cast.units.rj, kind=KIND, owner_unit=cast.units.rj, working_days=10
        )
    assert Deadline.objects.count() == 1
    assert timezone.localtime(moved.due_at).date() == date(2026, 11, 20)
    sweep_at("2026-11-19 09:00:00+08:00", django_capture_on_commit_callbacks)
    # a new due date is a new reminder (the dedup key includes the due date)
    assert [k for k, _u in sent()] == ["deadline.remind", "deadline.remind"]


def test_overdue_list_per_unit_for_leaders(cast, login):
    start(cast)
    with freeze_time("2026-11-02 09:00:00+08:00"):
        deadlines.deadline_start(
            obj=cast.units.jd, kind=KIND, owner_unit=cast.units.jdyt, due_at=timezone.now()
        )
    with freeze_time("2026-11-16 09:00:00+08:00"):
        xx_page = login(cast.xx_leader).get(reverse("engine:overdue_list")).content.decode()
        jd_page = login(cast.jd_leader).get(reverse("engine:overdue_list")).content.decode()
        qa_page = login(cast.quality_officer).get(reverse("engine:overdue_list")).content.decode()
        teacher = login(cast.teacher).get(reverse("engine:overdue_list"))
    assert "<strong>软件技术</strong>" in xx_page and "机电一体化技术" not in xx_page
    assert "<strong>机电一体化技术</strong>" in jd_page and "<strong>软件技术" not in jd_page
    assert "<strong>软件技术</strong>" in qa_page and "<strong>机电一体化技术</strong>" in qa_page
    assert teacher.status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_nothing_twice(cast, monkeypatch):
    from engine import tasks

    # no delivery nudges from the threads: eager Celery's "join will block" flag is a process
    # global that two threads applying tasks at once can leave set
    monkeypatch.setattr(tasks, "publish_quietly", lambda task, **kwargs: True)
    units = [cast.units.rj, cast.units.wl, cast.units.jdyt, cast.units.jd, cast.units.xx]
    for n in range(12):
        ensure_rule(
            f"test.kind{n}", label=f"k{n}", remind_before=2, leader_after=0, college_after=3
        )
        with freeze_time("2026-11-02 09:00:00+08:00"):
            for unit in units:
                deadlines.deadline_start(
                    obj=unit,
                    kind=f"test.kind{n}",
                    owner_unit=unit,
                    owner_user=cast.software_lead,
                    working_days=5,
                )
    total = Deadline.objects.count()
    assert total == 60
    results, errors = [], []
    barrier = threading.Barrier(2)

    moment = timezone.make_aware(datetime(2026, 11, 16, 9))

    def run():
        # freezegun is process-wide and not thread-safe: the sweep takes its moment explicitly
        try:
            connection.ensure_connection()
            barrier.wait()
            results.append(deadlines.escalation_sweep(now=moment, batch_size=7))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == total * 3
    steps = Notification.objects.values_list("dedup_key", "recipient_id")
    assert len(steps) == len(set(steps))
    assert Notification.objects.filter(kind="deadline.remind").count() == total
    assert deadlines.escalation_sweep(now=moment) == 0


def test_starting_many_matches_one_by_one_in_a_constant_number_of_queries(
    cast, django_assert_max_num_queries
):
    from accounts.models import OrgUnit
    from engine.models import CalendarDay

    # a holiday inside the spans and a make-up day, so the batch calendar must honour both
    CalendarDay.objects.create(date=date(2026, 11, 4), kind=CalendarDay.Kind.HOLIDAY, name="假")
    CalendarDay.objects.create(date=date(2026, 11, 7), kind=CalendarDay.Kind.WORKDAY, name="调休")
    units = list(OrgUnit.objects.order_by("pk")[:30])
    assert len(units) >= 10
    moment = "2026-11-02 09:00:00+08:00"
    with freeze_time(moment):
        one_by_one = [
            deadlines.deadline_start(
                obj=unit, kind=KIND, owner_unit=cast.units.rj, working_days=i % 7
            )
            for i, unit in enumerate(units)
        ]
        expected = {(d.object_id, d.due_at, d.next_action_at) for d in one_by_one}
        Deadline.objects.all().delete()
        specs = [
            deadlines.DeadlineSpec(obj=unit, owner_unit=cast.units.rj, working_days=i % 7)
            for i, unit in enumerate(units)
        ]
        with django_assert_max_num_queries(6):
            started = deadlines.deadline_start_many(kind=KIND, specs=specs)
    assert len(started) == len(units)
    rows = Deadline.objects.filter(kind=KIND, status=Deadline.Status.OPEN)
    assert {(d.object_id, d.due_at, d.next_action_at) for d in rows} == expected


def test_starting_many_again_restarts_the_live_deadlines_instead_of_adding_rows(cast):
    first = start(cast)
    first.escalation_level = Deadline.Level.LEADER
    first.save()
    due = timezone.make_aware(datetime(2026, 12, 1, 17, 0))
    deadlines.deadline_start_many(
        kind=KIND,
        specs=[
            deadlines.DeadlineSpec(obj=cast.units.rj, owner_unit=cast.units.rj, due_at=due),
            deadlines.DeadlineSpec(obj=cast.units.jd, owner_unit=cast.units.jd, due_at=due),
        ],
    )
    restarted = Deadline.objects.get(pk=first.pk)
    assert restarted.due_at == due and restarted.escalation_level == Deadline.Level.NONE
    assert Deadline.objects.filter(kind=KIND, status=Deadline.Status.OPEN).count() == 2
    with pytest.raises(ValueError):
        deadlines.deadline_start_many(
            kind=KIND, specs=[deadlines.DeadlineSpec(obj=cast.units.rj, owner_unit=cast.units.rj)]
        )


def _owners(cast):
    """Owner units of every kind the ladder treats apart (a major, a course, a department, an
    office with officers, an office without, the college), half of them with an owner."""
    units = [
        cast.units.rj,
        cast.units.jdyt_plc,
        cast.units.jd,
        cast.units.zgb,
        cast.units.xxzx,
        cast.units.college,
    ]
    people = [cast.software_lead, None]
    return [(units[i % len(units)], people[i % len(people)]) for i in range(len(units) * 2)]


def _subjects(n):
    from accounts.models import User

    return User.objects.bulk_create(User(username=f"subject{i:04d}") for i in range(n))


# The statement budgets below hold on PostgreSQL, where a batch insert is one statement; SQLite
# splits inserts at 999 parameters.
@pytest.mark.postgres
@pytest.mark.parametrize("n", [20, 200])
def test_starting_many_takes_the_same_statements_for_20_and_200(
    n, cast, django_assert_max_num_queries
):
    subjects = _subjects(n)
    owners = _owners(cast)
    with freeze_time("2026-11-02 09:00:00+08:00"):
        # half already live (restarted in place), half new
        deadlines.deadline_start_many(
            kind=KIND,
            specs=[
                deadlines.DeadlineSpec(obj=s, owner_unit=cast.units.xx, working_days=1)
                for s in subjects[: n // 2]
            ],
        )
        live = set(Deadline.objects.values_list("pk", flat=True))
        specs = [
            deadlines.DeadlineSpec(
                obj=s, owner_unit=owners[i % len(owners)][0], working_days=1 + i % 5
            )
            for i, s in enumerate(subjects)
        ]
        # the live rows, the rule, the calendar, one UPDATE, one INSERT (and a savepoint)
        with django_assert_max_num_queries(7):
            deadlines.deadline_start_many(kind=KIND, specs=specs)
    rows = Deadline.objects.filter(kind=KIND, status=Deadline.Status.OPEN)
    assert rows.count() == n and live < set(rows.values_list("pk", flat=True))
    expected = {
        (str(s.pk), owners[i % len(owners)][0].pk, 1 + i % 5) for i, s in enumerate(subjects)
    }
    with freeze_time("2026-11-02 09:00:00+08:00"):
        from engine import calendar

        start = timezone.now()
        days = {k: calendar.add_working_days(start, k) for k in range(1, 6)}
    found = {(d.object_id, d.owner_unit_id, d.due_at) for d in rows}
    assert found == {(pk, unit, days[k]) for pk, unit, k in expected}
    assert not rows.exclude(escalation_level=Deadline.Level.NONE).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("n", [20, 200])
def test_the_sweep_takes_the_same_statements_for_20_and_200_due_items(
    n, cast, django_assert_max_num_queries
):
    owners = _owners(cast)
    subjects = _subjects(n)
    with freeze_time("2026-11-02 09:00:00+08:00"):
        for i, subject in enumerate(subjects):
            unit, person = owners[i % len(owners)]
            deadlines.deadline_start(
                obj=subject, kind=KIND, owner_unit=unit, owner_user=person, working_days=5
            )
    moment = timezone.make_aware(datetime(2026, 11, 16, 9))  # every step of the ladder is due
    # rules, claim, subjects, calendar, one UPDATE, departments, leaders, officers, admins, the
    # college's role, wordings, one insert per kind (3), audit rows, the final empty claim and
    # two savepoints (four statements): 20 whatever the number of due items
    with django_assert_max_num_queries(20):
        assert deadlines.escalation_sweep(now=moment) == 3 * n
    # the same people as the one-unit-at-a-time lookups name
    from engine import notifications

    expected = set()
    for d in Deadline.objects.select_related("owner_unit", "owner_user"):
        ladder = [
            [d.owner_user] if d.owner_user else notifications.unit_leaders(d.owner_unit),
            notifications.unit_leaders(d.owner_unit),
            notifications.role_holders("quality_officer"),
        ]
        for level, people in enumerate(ladder, start=1):
            due = d.due_at.isoformat()
            expected |= {(f"deadline:{d.pk}:{due}:{level}", p.username) for p in people}
    sent_now = set(Notification.objects.values_list("dedup_key", "recipient__username"))
    assert sent_now == expected
    assert not Deadline.objects.exclude(escalation_level=Deadline.Level.COLLEGE).exists()
    assert not Deadline.objects.filter(next_action_at__isnull=False).exists()
    from accounts.models import AuditEntry

    assert AuditEntry.objects.filter(action__startswith="deadline.").count() == 3 * n
    assert deadlines.escalation_sweep(now=moment) == 0
