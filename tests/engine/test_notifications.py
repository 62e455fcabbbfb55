"""The outbox: in-app always, email and unit robots by preference, retries, broker outages."""

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import AuditEntry
from accounts.validators import validate_webhook_url
from engine import notifications, tasks
from engine.models import Delivery, MessageTemplate, Notification, NotificationPreference

notifications.register_kind(
    "test.notice", label="测试通知", title="通知：{{ obj }}", body="请查看 {{ url }}"
)
notifications.register_kind(
    "test.private", label="私密通知", title="私密：{{ obj }}", body="", confidential=True
)


class Robot(BaseHTTPRequestHandler):
    """A chat robot on 127.0.0.1 whose answer the test chooses: 200, 500 or no answer."""

    mode = "ok"
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Robot.received.append((self.path, json.loads(body)))
        if Robot.mode == "hang":
            time.sleep(2)
            return
        status = 500 if Robot.mode == "error" else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def robot(settings):
    Robot.mode, Robot.received = "ok", []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    yield f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=t"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_email(cast):
    # the robot tests count webhook deliveries only
    type(cast.teacher).objects.filter(pk=cast.teacher.pk).update(email="")
    cast.teacher.refresh_from_db()


def send(cast, unit=None, key="k", recipients=None):
    with transaction.atomic():
        return notifications.notify(
            kind="test.notice",
            recipients=recipients or [cast.teacher],
            obj=cast.units.rj,
            url="/units/1/",
            dedup_key=key,
            unit=unit,
        )


def deliver_all():
    tasks.deliver_pending()
    return tasks.send_outside()


def test_in_app_delivery_after_commit_and_dedup(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send(cast, key="same") == 1
        assert send(cast, key="same") == 0
    row = Notification.objects.get(recipient=cast.teacher)
    assert row.delivered_at is not None
    assert row.title == "通知：软件技术" and row.body == "请查看 http://127.0.0.1:8000/units/1/"


def test_nothing_is_written_when_the_causing_transaction_rolls_back(cast):
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify(
            kind="test.notice", recipients=[cast.teacher], dedup_key="rb", obj=cast.units.rj
        )
        raise RuntimeError("the change failed")
    assert not Notification.objects.exists()


def test_bell_list_and_mark_read_in_page_and_api(cast, login):
    send(cast)
    deliver_all()
    client = login(cast.teacher)
    assert 'class="count">1<' in client.get(reverse("home")).content.decode()
    listed = client.get("/api/v1/notifications/?unread=1").json()
    assert [n["title"] for n in listed["results"]] == ["通知：软件技术"]
    pk = listed["results"][0]["id"]
    assert client.post(f"/api/v1/notifications/{pk}/read/").json()["read_at"]
    assert client.get("/api/v1/notifications/?unread=1").json()["results"] == []
    other = login(cast.student)
    assert other.post(f"/api/v1/notifications/{pk}/read/").status_code == 404


def test_email_follows_the_preference_page(cast, login, mailoutbox):
    cast.teacher.email = "wu@example.edu.cn"
    cast.teacher.save()
    client = login(cast.teacher)
    page = client.get(reverse("engine:preferences"))
    assert "测试通知" in page.content.decode()
    response = client.post(reverse("engine:preferences"), {"test.notice:webhook": "on"})
    assert response.status_code == 302
    assert not NotificationPreference.objects.get(user=cast.teacher, kind="test.notice").email
    assert AuditEntry.objects.filter(action="notification.preferences").exists()
    send(cast, key="a")
    deliver_all()
    assert mailoutbox == []
    assert Notification.objects.filter(recipient=cast.teacher).count() == 1  # in-app stays on
    client.post(reverse("engine:preferences"), {"test.notice:email": "on"})
    send(cast, key="b")
    deliver_all()
    assert [m.to for m in mail.outbox] == [["wu@example.edu.cn"]]


def test_administrator_wording_overrides_the_default(cast):
    MessageTemplate.objects.create(kind="test.notice", title="【质管办】{{ obj }} 有新通知")
    send(cast)
    assert Notification.objects.get().title == "【质管办】软件技术 有新通知"


def test_message_template_with_broken_syntax_is_rejected():
    template = MessageTemplate(kind="test.notice", title="{% if %}")
    with pytest.raises(ValidationError):
        template.full_clean()


def test_dingtalk_robot_gets_a_signed_json_message(cast, robot):
    unit = cast.units.rj
    unit.webhook_url, unit.webhook_secret = robot, "SEC123"
    unit.save()
    send(cast, unit=unit)
    before = round(time.time() * 1000)
    assert deliver_all() == 1
    path, payload = Robot.received[0]
    query = parse_qs(urlsplit(path).query)
    timestamp = query["timestamp"][0]
    assert abs(int(timestamp) - before) < 5000 and query["access_token"] == ["t"]
    expected = base64.b64encode(
        hmac.new(b"SEC123", f"{timestamp}\nSEC123".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert payload["msgtype"] == "text" and "软件技术" in payload["text"]["content"]
    assert Delivery.objects.get().status == Delivery.Status.SENT


@pytest.mark.parametrize("mode", ["error", "hang"])
def test_a_failing_robot_is_retried_with_backoff_then_listed(cast, robot, settings, mode):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_BACKOFF_SECONDS = 60
    Robot.mode = mode
    unit = cast.units.rj
    unit.webhook_url = robot
    unit.save()
    send(cast, unit=unit)
    deliver_all()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < first_wait <= timedelta(seconds=60)
    assert tasks.send_outside() == 0 and Delivery.objects.get().attempts == 1  # not yet due
    for _ in range(2):
        Delivery.objects.update(next_attempt_at=timezone.now())
        tasks.send_outside()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 3
    assert delivery.last_error
    assert Notification.objects.get().delivered_at is not None  # in-app unaffected


def test_administrator_retries_failed_deliveries_from_admin(
    cast, robot, login, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    Robot.mode = "error"
    unit = cast.units.rj
    unit.webhook_url = robot
    unit.save()
    send(cast, unit=unit)
    deliver_all()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    client = login(cast.sysadmin)
    listed = client.get("/admin/engine/delivery/?status__exact=failed")
    assert robot in listed.content.decode()
    Robot.mode = "ok"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/engine/delivery/",
            {"action": "retry_deliveries", "_selected_action": [delivery.pk]},
        )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT  # eager Celery ran send_outside
    assert AuditEntry.objects.filter(action="delivery.retry", actor=cast.sysadmin).exists()


def test_a_non_http_robot_url_is_never_called(cast):
    unit = cast.units.rj
    Notification.objects.create(
        recipient=cast.teacher, kind="test.notice", title="t", dedup_key="x", unit=unit
    )
    delivery = Delivery.objects.create(
        notification=Notification.objects.get(), channel="webhook", target="file:///etc/passwd"
    )
    tasks.send_outside()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and "non-http" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    [
        "ftp://robot.example.com/x",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/admin/",
        "http://localhost/x",
        "http://testserver/x",
    ],
)
@pytest.mark.django_db
def test_webhook_urls_must_be_http_and_not_this_application(url):
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


@pytest.mark.django_db
def test_an_outside_robot_url_is_accepted():
    validate_webhook_url("https://oapi.dingtalk.com/robot/send?access_token=abc")


def test_broker_outage_never_breaks_the_request_and_the_sweep_delivers(
    cast, monkeypatch, django_capture_on_commit_callbacks, settings
):
    calls = []

    def broker_down(*args, **kwargs):
        calls.append(1)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_pending, "apply_async", broker_down)
    monkeypatch.setattr(tasks, "_broker_down_until", 0.0)
    cache.delete(tasks.NUDGE_KEY)  # with a real broker, an earlier test's message may be "queued"
    with django_capture_on_commit_callbacks(execute=True):
        send(cast, key="one")
    with django_capture_on_commit_callbacks(execute=True):
        send(cast, key="two")
    assert len(calls) == 1  # the second enqueue did not even try: the broker is paused
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert tasks.sweep_outbox() == 2
    assert Notification.objects.filter(delivered_at__isnull=True).count() == 0


def test_preferences_api_lists_every_kind_and_changes_outside_channels(cast, login):
    client = login(cast.teacher)
    rows = {r["kind"]: r for r in client.get("/api/v1/notifications/preferences/").json()}
    assert rows["test.notice"] == {
        "kind": "test.notice",
        "label": "测试通知",
        "in_app": True,
        "email": True,
        "webhook": True,
    }
    assert "deadline.remind" in rows
    changed = client.put(
        "/api/v1/notifications/preferences/",
        [{"kind": "test.notice", "email": False, "webhook": True}],
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert not NotificationPreference.objects.get(user=cast.teacher, kind="test.notice").email
    bad = client.put(
        "/api/v1/notifications/preferences/",
        [{"kind": "no.such", "email": False, "webhook": True}],
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert NotificationPreference.objects.filter(user=cast.teacher).count() == 1


def test_a_confidential_kind_is_shown_to_its_recipient_only(cast, robot, login):
    unit = cast.units.rj
    unit.webhook_url = robot
    unit.save()
    cast.teacher.email = "teacher-private@example.edu.cn"
    cast.teacher.save()
    for kind, person in (("test.private", cast.teacher), ("test.notice", cast.student)):
        with transaction.atomic():
            notifications.notify(
                kind=kind, recipients=[person], obj=unit, dedup_key=kind, unit=unit
            )
    deliver_all()
    private = Delivery.objects.filter(notification__kind="test.private")
    # e-mail to the person; never the unit's chat robot, which the whole unit reads
    assert list(private.values_list("channel", "target")) == [("email", cast.teacher.email)]
    assert [
        n["title"] for n in login(cast.teacher).get("/api/v1/notifications/").json()["results"]
    ] == ["私密：软件技术"]
    admin = login(cast.sysadmin)
    listing = admin.get("/admin/engine/delivery/").content.decode()
    assert robot in listing and cast.teacher.email not in listing and "私密" not in listing
    page = admin.get(f"/admin/engine/delivery/{private.get().pk}/change/", follow=True)
    assert cast.teacher.email not in page.content.decode()
    refused = admin.post(
        "/admin/engine/delivery/",
        {"action": "retry_deliveries", "_selected_action": [private.get().pk]},
    )
    assert (
        refused.status_code in (200, 302)
        and not AuditEntry.objects.filter(action="delivery.retry").exists()
    )


def test_notify_many_writes_each_message_once(db, django_assert_max_num_queries):
    from django.contrib.contenttypes.models import ContentType

    from tests.factories import UserFactory

    notifications.forget_overrides()  # another test's wording must not linger
    people = [UserFactory(username=f"n{i}", full_name=f"甲{i}") for i in range(6)]
    ContentType.objects.get_for_model(people[0])  # cached like any warm process
    messages = [
        notifications.Message(people[i : i + 2], f"many:{i}", obj=people[i]) for i in range(5)
    ]
    with django_assert_max_num_queries(3):
        assert notifications.notify_many(kind="test.notice", messages=messages) == 10
    assert Notification.objects.get(recipient=people[1], dedup_key="many:0").title == "通知：甲0"
    # sent again (with one new message): only the new one is written
    more = [*messages, notifications.Message([people[5]], "many:5")]
    assert notifications.notify_many(kind="test.notice", messages=more) == 1
    assert Notification.objects.count() == 11


@pytest.mark.django_db(transaction=True)  # real commits: each runs its own on-commit nudge
def test_commits_in_a_row_publish_one_delivery_message_which_takes_every_row(cast, monkeypatch):
    from config.celery import app

    published = []

    def publish(task, **kwargs):
        published.append(task.name)
        return True

    monkeypatch.setattr(tasks, "publish_quietly", publish)
    cache.delete(tasks.NUDGE_KEY)
    app.conf.task_always_eager = False
    try:
        for n in range(5):
            send(cast, key=f"row{n}")
        assert published == ["engine.deliver_pending"]  # the first one's message still queued
        assert tasks.deliver_pending(limit=2) == 5  # batch after batch until none is left
        assert not Notification.objects.filter(delivered_at__isnull=True).exists()
        assert cache.get(tasks.NUDGE_KEY) is None
        send(cast, key="after")
    finally:
        app.conf.task_always_eager = True
        cache.delete(tasks.NUDGE_KEY)
    # the message started (and cleared the mark) before claiming: a later commit publishes anew
    assert published == ["engine.deliver_pending"] * 2


class CountingSMTP(BaseEmailBackend):
    """Behaves as Django's SMTP backend does about its connection: `open` connects unless
    connected, `send_messages` closes what it opened itself."""

    connects: list = []
    sent: list = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.connection = None

    def open(self):
        if self.connection:
            return False
        self.connection = object()
        CountingSMTP.connects.append(1)
        return True

    def close(self):
        self.connection = None

    def send_messages(self, messages):
        opened_here = self.open()
        CountingSMTP.sent.extend(m.to[0] for m in messages)
        if opened_here:
            self.close()
        return len(messages)


def test_e_mails_of_a_batch_share_one_connection(cast, settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingSMTP"
    CountingSMTP.connects, CountingSMTP.sent = [], []
    people = [cast.xx_leader, cast.jd_leader, cast.quality_officer]
    send(cast, recipients=people)
    assert deliver_all() == 3
    assert sorted(CountingSMTP.sent) == sorted(p.email for p in people)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 3
    assert len(CountingSMTP.connects) == 1


def _settings_groups(client):
    page = client.get(reverse("engine:preferences"))
    assert page.status_code == 200
    return {label: [k.kind for k in kinds] for label, kinds in _page_groups(page)}


def _page_groups(page):
    return [(label, [row["kind"] for row in rows]) for label, rows in page.context["groups"]]


def test_the_settings_list_only_the_kinds_that_can_reach_the_person_grouped(cast, login):
    """A student is never told of failed background jobs, plans to review or a college's
    overdue list: their settings offer what can reach them, under the navigation's menus."""
    student = _settings_groups(login(cast.student))
    kinds = {k for group in student.values() for k in group}
    assert {"task.reassigned", "deadline.remind", "case.accepted", "survey.reminder"} <= kinds
    # investigators are staff: a student is never named one (cases.forms.investigator_choices)
    never_to_students = ("job.failed", "plans.review_needed", "deadline.college", "case.assigned")
    for never in (*never_to_students, "report.received"):
        assert never not in kinds, never
    teacher = {k for g in _settings_groups(login(cast.teacher)).values() for k in g}
    assert "case.assigned" in teacher
    assert next(iter(student)) == "我的待办与期限"
    assert "case.accepted" in student["案件"] and "survey.reminder" in student["监测"]

    officer = {k for g in _settings_groups(login(cast.quality_officer)).values() for k in g}
    assert {"plans.review_needed", "deadline.college", "monitoring.warning"} <= officer
    assert "job.failed" not in officer and "report.received" not in officer
    discipline = _settings_groups(login(cast.discipline_officer))
    assert "report.received" in discipline["案件"]
    admin = _settings_groups(login(cast.sysadmin))
    assert "job.failed" in admin["管理"]
    # the page speaks Chinese: group headings and labels, no codes
    html = login(cast.student).get(reverse("engine:preferences")).content.decode()
    assert 'scope="rowgroup">我的待办与期限</th>' in html and "转办给我的事项" in html
    assert ">job.failed<" not in html and "后台任务失败" not in html


def test_saving_the_settings_keeps_the_kinds_not_offered(cast, login):
    NotificationPreference.objects.create(user=cast.student, kind="job.failed", email=False)
    client = login(cast.student)
    assert client.post(reverse("engine:preferences"), {"digest": "daily"}).status_code == 302
    assert not NotificationPreference.objects.get(user=cast.student, kind="job.failed").email
    assert not NotificationPreference.objects.filter(
        user=cast.student, kind="plans.review_needed"
    ).exists()
    assert NotificationPreference.objects.filter(user=cast.student, kind="task.reassigned").exists()


def test_every_audience_names_a_capability_some_role_holds():
    from accounts import access
    from engine import notifications

    held = set().union(*access.ROLE_CAPS.values())
    for message in notifications.KINDS.values():
        assert message.audience is None or message.audience <= held, message.kind
