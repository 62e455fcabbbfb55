"""The digest of a person's open work: what it says, who gets it how often, once per day even
when two beats run it at once."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engine import digest
from engine.models import Deadline, DigestPreference, Notification

MONDAY, TUESDAY = date(2026, 11, 30), date(2026, 12, 1)


@pytest.fixture
def overdue_for_leader(cast):
    """An overdue deadline of 软件技术, which 信息工程系's leader oversees."""
    from django.contrib.contenttypes.models import ContentType

    return Deadline.objects.create(
        kind="plans.task",
        content_type=ContentType.objects.get_for_model(cast.units.rj),
        object_id=str(cast.units.rj.pk),
        owner_unit=cast.units.rj,
        due_at=timezone.now() - timedelta(days=3),
    )


def digests_of(user):
    return Notification.objects.filter(recipient=user, kind="engine.digest")


def test_a_leader_gets_the_overdue_of_their_units_and_nobody_gets_an_empty_digest(
    cast, overdue_for_leader
):
    digest.digests_send(today=TUESDAY)
    (mine,) = digests_of(cast.xx_leader)
    assert "逾期" in mine.body and "1 项" in mine.body
    assert mine.url == "/inbox/"
    # a student with nothing open gets nothing
    assert not digests_of(cast.student).exists()


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(
    cast, overdue_for_leader
):
    first = digest.digests_send(today=TUESDAY)
    assert first >= 1
    assert digest.digests_send(today=TUESDAY) == 0
    assert digest.digests_send(today=TUESDAY + timedelta(days=1)) == first


def test_weekly_comes_on_the_weekday_and_off_means_never(cast, overdue_for_leader, settings):
    settings.DIGEST_WEEKDAY = 1
    DigestPreference.objects.create(user=cast.xx_leader, frequency="weekly")
    digest.digests_send(today=TUESDAY)
    assert not digests_of(cast.xx_leader).exists()
    digest.digests_send(today=MONDAY)
    assert digests_of(cast.xx_leader).count() == 1
    DigestPreference.objects.filter(user=cast.xx_leader).update(frequency="off")
    digest.digests_send(today=MONDAY + timedelta(days=7))
    assert digests_of(cast.xx_leader).count() == 1


def test_the_frequency_is_chosen_on_the_settings_page(cast, login):
    client = login(cast.teacher)
    assert "每周" in client.get("/notifications/settings/").content.decode()
    assert client.post("/notifications/settings/", {"digest": "weekly"}).status_code == 302
    assert DigestPreference.objects.get(user=cast.teacher).frequency == "weekly"
    assert client.post("/notifications/settings/", {"digest": "hourly"}).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_send_one_digest_per_person(cast, overdue_for_leader):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    barrier = threading.Barrier(2)
    errors = []

    def beat():
        try:
            barrier.wait()
            digest.digests_send(today=TUESDAY)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert digests_of(cast.xx_leader).count() == 1
    per_person = Notification.objects.filter(kind="engine.digest").values_list(
        "recipient_id", flat=True
    )
    assert len(per_person) == len(set(per_person))
