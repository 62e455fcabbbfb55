"""Duty quotas as data: who is behind shows on the quality office's page and climbs the
escalation ladder until the quota is met."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from engine import deadlines
from engine.models import Deadline, Term
from workflows.observations import services
from workflows.observations.models import Duty, DutyQuota

from .conftest import sheet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]


def test_who_is_behind_shows_and_escalates_until_the_quota_is_met(cast, obs, quotas, client):
    today = timezone.localdate()
    Term.objects.create(name="本学期", start=obs.term.start, end=obs.term.end)
    assert services.duties_refresh() >= 3  # 孙丽 weekly; 刘伟 and 陈刚 per term
    assert services.duties_refresh() == 0  # idempotent
    weekly = Duty.objects.get(observer=cast.supervisor)
    assert weekly.required == 3 and weekly.done == 0
    assert weekly.start == today - datetime.timedelta(days=today.weekday())
    termly = Duty.objects.get(observer=cast.xx_leader)
    assert (termly.start, termly.end, termly.required) == (obs.term.start, obs.term.end, 4)
    deadline = Deadline.objects.get(kind=services.DUTY_KIND, object_id=str(weekly.pk))
    assert deadline.owner_user == cast.supervisor and deadline.status == Deadline.Status.OPEN
    # the reminder's link leads the observer to their own duty, the office to its page
    client.force_login(cast.supervisor)
    assert client.get(weekly.get_absolute_url()).url == reverse("observations:mine")

    client.force_login(cast.quality_officer)
    page = client.get(reverse("observations:office"), {"behind": "1"}).content.decode()
    assert "刘伟" in page and "落后" in page

    # the ladder: past the week's end the observer's unit and then the college hear of it
    later = deadline.due_at + datetime.timedelta(days=10)
    deadlines.escalation_sweep(now=later)
    deadline.refresh_from_db()
    assert deadline.escalation_level == Deadline.Level.COLLEGE

    # three observations this week meet the quota and close the deadline
    client.force_login(cast.supervisor)
    for _n in range(3):
        client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    weekly.refresh_from_db()
    deadline.refresh_from_db()
    assert weekly.done == 3 and deadline.status == Deadline.Status.DONE
    assert "3 / 3" not in page  # (the page above was read before)
    mine = client.get(reverse("observations:mine")).content.decode()
    assert "已完成 3 / 3" in mine


def test_the_quality_office_changes_a_quota(cast, quotas, client):
    quota = DutyQuota.objects.get(role="supervisor")
    client.force_login(cast.quality_officer)
    url = reverse("observations:quota_edit", args=[quota.pk])
    bad = client.post(url, {"role": "supervisor", "count": "0", "per": "week", "is_active": "on"})
    assert bad.status_code == 200
    quota.refresh_from_db()
    assert quota.count == 3
    client.post(url, {"role": "supervisor", "count": "5", "per": "week", "is_active": "on"})
    quota.refresh_from_db()
    assert quota.count == 5
    twice = client.post(
        reverse("observations:quota_new"),
        {"role": "supervisor", "count": "2", "per": "week", "is_active": "on"},
    )
    assert "该角色在此周期已有启用的定额" in twice.content.decode()
    assert DutyQuota.objects.filter(role="supervisor").count() == 1
    client.force_login(cast.supervisor)
    assert client.get(url).status_code == 403
