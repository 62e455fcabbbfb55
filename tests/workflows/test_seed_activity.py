"""`make seed` on an empty database: every feature has data, every demo role's pages show rows,
nothing is created twice, no e-mail is sent and the logins come last."""

import re

import pytest
from django.apps import apps
from django.core import mail
from django.core.mail import send_mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.complaints.models import Supervision
from cases.confidential.models import Report
from cases.models import Case
from cases.models import Status as S
from engine.seeding import quietly
from tests.conftest import seed_the_demo
from workflows.levels import Level
from workflows.monitoring.models import (
    Cycle,
    CycleDecision,
    Improvement,
    Period,
    Reading,
    Stage,
    Warning,
)
from workflows.plans.models import ChangeRequest
from workflows.review.models import PersonalReport, ReviewAssignment, ReviewRound

pytestmark = pytest.mark.django_db


def _counts() -> dict:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_the_seed_shows_every_feature_and_creates_nothing_twice(
    seeded, django_capture_on_commit_callbacks
):
    # every feature has data, in the states the demo promises
    assert Period.objects.filter(is_open=True).count() >= 2
    assert {"approved", "pending", "rejected"} <= set(
        Reading.objects.values_list("status", flat=True)
    )
    assert {"yellow", "red"} <= set(Warning.objects.values_list("level", flat=True))
    assert {"open", "submitted", "closed"} <= set(
        Improvement.objects.values_list("status", flat=True)
    )
    moved = Cycle.objects.exclude(stage=Stage.TARGET)
    assert set(moved.values_list("level", flat=True)) == set(Level.values)
    assert moved.values("stage").distinct().count() >= 4
    assert set(ReviewRound.objects.values_list("status", flat=True)) >= {"disclosed", "in_review"}
    assert ReviewAssignment.objects.filter(member__round__status="in_review").exists()
    # a teaching improvement gives a teaching cause, not the enrolment one
    teaching = Improvement.objects.filter(warning__indicator__code="C02")
    assert teaching.exists() and not teaching.filter(cause_analysis__contains="生源").exists()
    # a concluded round is dated in the past, as last year's
    concluded = ReviewRound.objects.filter(status="concluded")
    assert concluded.exists()
    assert not concluded.filter(review_end__gte=timezone.localdate()).exists()
    # and its report was made public before that review, as the public page says
    for round_ in concluded:
        for report in round_.reports.all():
            assert timezone.localdate(report.published_at) <= round_.disclosure_deadline, report
            shown = Client().get(reverse("review:public_list")).content.decode()
            assert f"公示于 {timezone.localdate(report.published_at):%Y-%m-%d}" in shown
    assert set(Case.objects.filter(kind=Case.Kind.COMPLAINT).values_list("status", flat=True)) == (
        set(S.values)
    )
    assert Supervision.objects.filter(status=Supervision.Status.OPEN).exists()
    assert ChangeRequest.objects.filter(state="submitted").exists()
    assert Report.objects.values("status").distinct().count() >= 4
    # a teacher's personal report waits for her team leader, a student's is approved; a reward
    # decided, another waiting for the committee
    assert set(PersonalReport.objects.values_list("level", "status")) == {
        ("teacher", "submitted"),
        ("student", "approved"),
    }
    assert set(CycleDecision.objects.values_list("kind__code", "status")) == {
        ("merit-student", "approved"),
        ("excellent-teacher", "proposed"),
    }
    # a reward's grounds do not claim what the demo's own readings deny: 吴芳's classes rate her
    # badly (a red 课堂教学满意度), 郑小明's 综合素质测评 is red
    grounds = " ".join(CycleDecision.objects.values_list("grounds", flat=True))
    assert "满意度优秀" not in grounds and "前10%" not in grounds, grounds

    # the logins are the last thing the seed prints
    lines = seeded.strip().splitlines()
    logins = next(i for i, line in enumerate(lines) if line.startswith("demo logins"))
    assert all(re.match(r"^  \w+ +\S+  ", line) for line in lines[logins + 1 :])
    assert len(lines) - logins - 1 == User.objects.filter(email__endswith="@demo.edu.cn").count()

    before = _counts()
    seed_the_demo(django_capture_on_commit_callbacks)
    after = _counts()
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {}


def test_seeding_sends_no_mail():
    # Outside a test the seeds' deliveries run at each commit, inside `quietly`; here they would
    # run after the command returned, so the mechanism itself is what is tested.
    with quietly():
        send_mail("演示", "正文", None, ["teacher@demo.edu.cn"])
    assert mail.outbox == []
    send_mail("演示", "正文", None, ["teacher@demo.edu.cn"])
    assert len(mail.outbox) == 1


# The lists each demo role works from, after the seed: rows, no empty state.
LISTS = {
    "zgb": [
        "/cases/",
        "/monitoring/periods/",
        "/monitoring/indicators/",
        "/monitoring/warnings/",
        "/monitoring/improvements/",
        "/monitoring/cycles/",
        "/review/",
        "/review/rounds/",
        "/plans/",
    ],
    "chair": ["/cases/"],
    "jwc_leader": ["/monitoring/approvals/"],
    "xx_leader": [
        "/cases/",
        "/cases/inbox/",
        "/monitoring/warnings/",
        "/monitoring/improvements/",
        "/monitoring/cycles/",
        "/review/",
    ],
    "jd_leader": ["/monitoring/warnings/", "/monitoring/improvements/"],
    "rj_leader": ["/cases/", "/monitoring/cycles/", "/review/", "/review/personal/"],
    "adviser": ["/review/personal/"],
    "jiwei": ["/discipline/complaints/", "/discipline/reports/"],
    "dudao": ["/cases/"],
    "expert": ["/review/assignments/"],
    "teacher": ["/cases/", "/monitoring/cycles/", "/report/mine/", "/review/personal/"],
    "student": ["/cases/", "/monitoring/cycles/", "/review/personal/"],
    None: ["/review/public/"],
}
# Pages of several panels, some of which may rightly be empty: at least one row.
PANELS = {"chair": ["/plans/inbox/"], "committee": ["/plans/inbox/"], "zgb": ["/plans/inbox/"]}


def _main(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = response.content.decode()
    return page[page.find("<main") : page.find("</main>")]


def _rows(main: str) -> bool:
    return "<tr" in main.partition("<tbody")[2] or "<li" in main


def test_every_demo_role_sees_rows_not_empty_states(seeded, client):
    empty = []
    for username in sorted(
        {*LISTS, *PANELS, *User.objects.values_list("username", flat=True)} - {None}
    ):
        client.force_login(User.objects.get(username=username))
        # the home page counts something for every demo role (the administrator's work is the
        # admin site: users, units, rules)
        if username != "admin" and 'class="stat"' not in _main(client, "/"):
            empty.append((username, "/"))
        for url in LISTS.get(username, []):
            main = _main(client, url)
            if 'class="empty"' in main or not _rows(main):
                empty.append((username, url))
        for url in PANELS.get(username, []):
            if not _rows(_main(client, url)):
                empty.append((username, url))
    client.logout()
    for url in LISTS[None]:
        if not _rows(_main(client, url)):
            empty.append((None, url))
    assert empty == []
