"""Login throttling that slows a password guesser down without letting anyone lock a colleague
out: counted per (username, client address), growing waits, 429 with the wait on web and API."""

import base64
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client, RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import AuditEntry, LoginThrottle
from accounts.throttle import ThrottledModelBackend
from tests.factories import PASSWORD

HERE = "203.0.113.10"
THERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def policy(settings):
    settings.LOGIN_FREE_FAILURES = 3
    settings.LOGIN_DELAY_SECONDS = 30
    settings.LOGIN_MAX_DELAY_SECONDS = 300
    settings.LOGIN_FAILURE_MEMORY_HOURS = 24


@pytest.fixture
def clock():
    with freeze_time("2026-12-03 08:00:00") as frozen:
        yield frozen


def web_login(client, password, *, username="teacher", address=HERE, **extra):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def api_get(client, password, *, username="teacher", address=HERE):
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get(
        reverse("api:me"),
        HTTP_AUTHORIZATION=f"Basic {credentials}",
        REMOTE_ADDR=address,
    )


def fail(client, times, **kwargs):
    for _ in range(times):
        response = web_login(client, "wrong", **kwargs)
        assert response.status_code == 200, response.status_code
        assert "用户名或密码错误" in response.content.decode()


def test_failures_within_the_free_count_cost_nothing(cast, client, clock):
    fail(client, 3)
    assert web_login(client, PASSWORD).status_code == 302


def test_waits_grow_and_the_page_says_how_long_in_chinese(cast, client, clock):
    fail(client, 4)
    refused = web_login(client, PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    page = refused.content.decode()
    assert "登录失败次数过多" in page and "30 秒" in page
    clock.tick(timedelta(seconds=31))
    fail(client, 1)  # the fifth failure doubles the wait
    refused = web_login(client, PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "1 分钟" in refused.content.decode()


def test_the_wait_is_capped(cast, client, clock):
    for _ in range(12):
        web_login(client, "wrong")
        clock.tick(timedelta(seconds=301))
    web_login(client, "wrong")
    assert web_login(client, PASSWORD)["Retry-After"] == "300"


def test_the_right_password_during_a_wait_is_refused_without_restarting_the_clock(
    cast, client, clock
):
    fail(client, 4)
    clock.tick(timedelta(seconds=20))
    refused = web_login(client, PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "10"
    clock.tick(timedelta(seconds=5))
    assert web_login(client, "wrong")["Retry-After"] == "5"  # not counted either
    clock.tick(timedelta(seconds=6))
    assert web_login(client, PASSWORD).status_code == 302


def test_success_forgets_the_failures(cast, client, clock):
    fail(client, 3)
    assert web_login(client, PASSWORD).status_code == 302
    assert not LoginThrottle.objects.exists()
    client.logout()
    fail(client, 3)
    assert web_login(client, PASSWORD).status_code == 302


def test_old_failures_are_forgotten(cast, client, clock):
    fail(client, 3)
    clock.tick(timedelta(hours=25))
    fail(client, 3)
    assert web_login(client, PASSWORD).status_code == 302


def test_a_stranger_elsewhere_cannot_lock_a_colleague_out(cast, client, clock):
    for _ in range(10):
        web_login(client, "wrong", address=THERE)
        clock.tick(timedelta(seconds=1))
    assert web_login(client, "wrong", address=THERE).status_code == 429
    assert web_login(client, PASSWORD, address=HERE).status_code == 302


def test_a_guesser_cannot_spread_over_letter_case(cast, client, clock):
    fail(client, 2, username="teacher")
    fail(client, 2, username="TEACHER")
    assert web_login(client, PASSWORD).status_code == 429


def test_behind_the_proxy_each_client_is_counted_apart(cast, client, clock, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for n in range(6):
        # The guesser writes a different address of its own each time: it is ignored.
        web_login(client, "wrong", address=proxy, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {THERE}")
    blocked = web_login(client, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=f"10.9.9.9, {THERE}")
    assert blocked.status_code == 429
    colleague = web_login(client, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=HERE)
    assert colleague.status_code == 302


def test_api_answers_429_json_with_the_wait(cast, client, clock):
    for _ in range(4):
        assert api_get(client, "wrong").status_code in (401, 403)
    refused = api_get(client, PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    body = refused.json()
    assert body["code"] == "throttled" and body["wait"] == 30
    assert "30 秒" in body["message"]


def test_api_failures_never_lock_the_web_login_elsewhere(cast, client, clock):
    for _ in range(6):
        api_get(client, "wrong", address=THERE)
    assert api_get(client, PASSWORD, address=THERE).status_code == 429
    assert web_login(client, PASSWORD, address=HERE).status_code == 302
    client.logout()
    # From the same address it is the same person guessing: the web login waits too.
    assert web_login(client, PASSWORD, address=THERE).status_code == 429


def test_admin_login_is_throttled_too(cast, client, clock):
    url = reverse("admin:login")
    for _ in range(4):
        client.post(url, {"username": "sysadmin", "password": "wrong"}, REMOTE_ADDR=HERE)
    refused = client.post(url, {"username": "sysadmin", "password": PASSWORD}, REMOTE_ADDR=HERE)
    assert refused.status_code == 429 and refused["Retry-After"] == "30"


def test_waits_are_logged(cast, client, clock, caplog):
    caplog.set_level(logging.WARNING, logger="accounts.throttle")
    fail(client, 4)
    assert any("teacher" in r.getMessage() and HERE in r.getMessage() for r in caplog.records)


def test_the_attempt_is_counted_before_the_password_is_checked(cast, monkeypatch):
    """Guesses that arrive together queue on the row instead of all reading "no failures yet"."""
    seen = []
    original = ModelBackend.authenticate

    def checking(self, request, username=None, password=None, **kwargs):
        seen.append(LoginThrottle.objects.get(username="teacher").failures)
        return original(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", checking)
    request = RequestFactory().post("/", REMOTE_ADDR=HERE)
    ThrottledModelBackend().authenticate(request, username="teacher", password="wrong")
    assert seen == [1]


def test_an_administrator_can_lift_a_wait(cast, client, clock):
    fail(client, 4)
    row = LoginThrottle.objects.get(username="teacher", address=HERE)
    admin = Client()
    admin.force_login(cast.sysadmin)
    listing = admin.get(reverse("admin:accounts_loginthrottle_changelist"))
    assert listing.status_code == 200 and HERE in listing.content.decode()
    response = admin.post(
        reverse("admin:accounts_loginthrottle_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="login_throttle.delete", actor=cast.sysadmin).exists()
    assert web_login(client, PASSWORD).status_code == 302
