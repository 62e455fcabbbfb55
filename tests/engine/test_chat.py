"""Work notifications to a person on DingTalk (工作通知) and WeCom (应用消息), against a local
HTTP server that answers as the platforms' documented endpoints do: token flow and caching,
deep links, busy and refused answers, confidential kinds, the look-up by mobile number, and the
unit robot's signature as DingTalk's server checks it."""

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from django.db import transaction
from django.utils import timezone

from engine import chat, notifications, tasks
from engine.models import ChatIdentity, Delivery

notifications.register_kind(
    "test.chat", label="测试工作通知", title="待办：{{ obj }}", body="请处理 {{ url }}"
)
notifications.register_kind(
    "test.chat.private", label="私密", title="私密：{{ obj }}", body="", confidential=True
)


class Platform(BaseHTTPRequestHandler):
    """DingTalk's and WeCom's server-side API, as documented, with answers a test can steer."""

    state: dict = {}

    def _answer(self, payload, delay=0.0):
        if delay:
            time.sleep(delay)
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        s = Platform.state
        if url.path in ("/gettoken", "/cgi-bin/gettoken"):
            good = query.get("appkey") == ["ding-key"] and query.get("appsecret") == ["ding-secret"]
            good = good or (
                query.get("corpid") == ["ww-corp"] and query.get("corpsecret") == ["ww-s"]
            )
            if not good:
                return self._answer({"errcode": 40001, "errmsg": "invalid credential"})
            s["tokens"] += 1
            token = f"token-{s['tokens']}"
            s["valid"].add(token)
            return self._answer(
                {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200},
                delay=s.get("token_delay", 0),
            )
        self._answer({"errcode": 404, "errmsg": "no such api"})

    def do_POST(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        s = Platform.state
        if url.path == "/robot/send":
            s["robot"].append((query, body))
            return self._answer({"errcode": 0, "errmsg": "ok"})
        if (query.get("access_token") or [""])[0] not in s["valid"]:
            return self._answer({"errcode": 40014, "errmsg": "invalid access_token"})
        if s.get("expire_next"):
            s["expire_next"] = False
            return self._answer({"errcode": 42001, "errmsg": "access_token expired"})
        if url.path in ("/topapi/v2/user/getbymobile", "/cgi-bin/user/getuserid"):
            user_id = s["mobiles"].get(body.get("mobile"))
            if url.path.startswith("/topapi"):
                if user_id is None:
                    return self._answer({"errcode": 60121, "errmsg": "找不到该用户"})
                return self._answer({"errcode": 0, "result": {"userid": user_id}})
            if user_id is None:
                return self._answer({"errcode": 46004, "errmsg": "user not exist"})
            return self._answer({"errcode": 0, "errmsg": "ok", "userid": user_id})
        s["sent"].append((url.path, body))
        if s.get("answer"):
            return self._answer(s["answer"])
        if url.path.startswith("/topapi"):
            return self._answer({"errcode": 0, "task_id": 1, "request_id": "r"})
        return self._answer({"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m"})

    def log_message(self, *args):
        pass


@pytest.fixture
def platform(settings):
    Platform.state = {"tokens": 0, "valid": set(), "sent": [], "robot": [], "mobiles": {}}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.CHAT_PLATFORMS = {
        "dingtalk": {
            "key": "ding-key",
            "secret": "ding-secret",
            "agent_id": "9001",
            "api_base": base,
        },
        "wecom": {"key": "ww-corp", "secret": "ww-s", "agent_id": "1000002", "api_base": base},
    }
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        # The lock is the shared cache's add(); per process is enough for one test process.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    for code in chat.PLATFORMS:
        cache.delete(chat._token_key(chat.PLATFORMS[code]))
    yield base
    for code in chat.PLATFORMS:
        cache.delete(chat._token_key(chat.PLATFORMS[code]))
    server.shutdown()
    server.server_close()


@pytest.fixture
def mapped(cast):
    cast.teacher.email = ""
    cast.teacher.save(update_fields=["email"])
    ChatIdentity.objects.create(user=cast.teacher, platform="dingtalk", platform_user_id="ding-wf")
    ChatIdentity.objects.create(user=cast.teacher, platform="wecom", platform_user_id="WuFang")
    return cast.teacher


def notify(cast, kind="test.chat", key="k"):
    with transaction.atomic():
        notifications.notify(
            kind=kind,
            recipients=[cast.teacher],
            obj=cast.units.rj,
            url="/inbox/",
            dedup_key=key,
        )
    tasks.deliver_pending()
    return tasks.send_outside()


def test_a_person_gets_a_work_notification_on_both_platforms_with_a_deep_link(
    platform, mapped, cast, settings
):
    assert notify(cast) == 2
    sent = dict(Platform.state["sent"])
    ding = sent["/topapi/message/corpconversation/asyncsend_v2"]
    assert ding["agent_id"] == 9001 and ding["userid_list"] == "ding-wf"
    card = ding["msg"]["action_card"]
    assert card["title"] == "待办：软件技术"
    assert card["single_url"] == settings.SITE_URL.rstrip("/") + "/inbox/"
    wecom = sent["/cgi-bin/message/send"]
    assert wecom["touser"] == "WuFang" and wecom["agentid"] == 1000002
    assert wecom["textcard"]["url"] == settings.SITE_URL.rstrip("/") + "/inbox/"
    assert set(Delivery.objects.values_list("channel", "status")) == {
        ("dingtalk", "sent"),
        ("wecom", "sent"),
    }
    # one token per app, reused for the next message
    notify(cast, key="k2")
    assert Platform.state["tokens"] == 2


def test_an_expired_token_is_replaced_once_and_the_message_still_goes(platform, mapped, cast):
    notify(cast)
    Platform.state["expire_next"] = True
    assert notify(cast, key="k2") == 2
    assert Platform.state["tokens"] == 3  # two apps, one refresh


def test_a_busy_platform_is_retried_later_and_a_refusal_is_listed_at_once(platform, mapped, cast):
    Platform.state["answer"] = {"errcode": 45009, "errmsg": "api freq out of limit"}
    ChatIdentity.objects.filter(platform="dingtalk").delete()
    assert notify(cast) == 0
    delivery = Delivery.objects.get(channel="wecom")
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    assert "45009" in delivery.last_error

    Platform.state["answer"] = {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(1))
    tasks.send_outside()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 2
    assert "81013" in delivery.last_error


def test_a_confidential_message_never_goes_to_a_chat(platform, mapped, cast):
    notify(cast, kind="test.chat.private")
    assert Platform.state["sent"] == []
    assert not Delivery.objects.exists()


def test_a_person_who_turned_work_notifications_off_gets_none(platform, mapped, cast, login):
    client = login(cast.teacher)
    page = client.get("/notifications/settings/").content.decode()
    assert 'name="test.chat:chat"' in page and "钉钉" in page
    form = {"digest": "daily"}
    form.update({f"{k.kind}:email": "on" for k in notifications.user_kinds()})
    client.post("/notifications/settings/", form)
    notify(cast)
    assert Platform.state["sent"] == []


def test_many_workers_with_no_token_fetch_it_once(platform):
    Platform.state["token_delay"] = 0.3
    ding = chat.PLATFORMS["dingtalk"]
    got = []
    threads = [
        threading.Thread(target=lambda: got.append(chat.access_token(ding))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["token-1"] * 8
    assert Platform.state["tokens"] == 1


def test_ids_are_found_by_mobile_number_and_the_unmapped_are_listed(
    platform, cast, login, celery_in_process
):
    cast.teacher.phone = "13800000001"
    cast.teacher.save(update_fields=["phone"])
    cast.student.phone = "13800000002"  # unknown to DingTalk
    cast.student.save(update_fields=["phone"])
    Platform.state["mobiles"] = {"13800000001": "ding-wf"}
    admin = login(cast.sysadmin)
    page = admin.get("/notifications/chat-accounts/?platform=dingtalk").content.decode()
    assert cast.teacher.get_full_name() in page
    admin.post("/notifications/chat-accounts/", {"platform": "dingtalk"})
    assert ChatIdentity.objects.get(platform="dingtalk").user == cast.teacher
    page = admin.get("/notifications/chat-accounts/?platform=dingtalk").content.decode()
    assert cast.teacher.get_full_name() not in page
    assert cast.student.get_full_name() in page
    assert admin.post("/notifications/chat-accounts/", {"platform": "x"}).status_code == 400
    assert login(cast.teacher).get("/notifications/chat-accounts/").status_code == 403


def test_the_unit_robot_signature_is_what_dingtalks_server_checks(platform, cast):
    unit = cast.units.rj
    unit.webhook_url = f"{platform}/robot/send?access_token=robot"
    unit.webhook_secret = "SEC-this-is-secret"
    unit.save()
    with transaction.atomic():
        notifications.notify(
            kind="test.chat", recipients=[cast.teacher], obj=unit, dedup_key="r", unit=unit
        )
    tasks.deliver_pending()
    tasks.send_outside()
    (query, body), *_ = Platform.state["robot"]
    # DingTalk's check: HmacSHA256(secret, timestamp + "\n" + secret), Base64, URL-encoded, and a
    # timestamp (ms) within an hour of its clock.
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(
            b"SEC-this-is-secret", f"{timestamp}\nSEC-this-is-secret".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert unquote_plus(query["sign"][0]) == expected or query["sign"][0] == expected
    assert abs(int(timestamp) / 1000 - time.time()) < 3600
    assert body["msgtype"] == "text"
