"""Work notifications to a person on DingTalk (工作通知) and WeCom (应用消息), over plain HTTPS
with the platforms' documented endpoints (their Python SDKs are unmaintained or Java-first).

Each platform app's access token is cached until shortly before it expires and fetched by one
caller at a time (a lock in the shared cache), so N workers that find it expired ask the
platform once. An answer saying the token is invalid or expired drops it and the send is tried
once more with a fresh one. Busy and rate-limit answers are `RetryLater` (the outbox's back-off
applies); any other error is `GiveUp` (the delivery is listed as failed at once).
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


class RetryLater(Exception):
    """The platform is busy or rate-limits us: try again after the back-off."""


class GiveUp(Exception):
    """The platform refused for good (unknown user, app not allowed …): no retry helps."""


@dataclass(frozen=True)
class Platform:
    code: str
    # The endpoints, relative to the API base.
    gettoken_path: str
    send_path: str
    lookup_path: str
    token_errors: frozenset
    busy_errors: frozenset

    @property
    def conf(self) -> dict:
        return settings.CHAT_PLATFORMS.get(self.code) or {}

    @property
    def configured(self) -> bool:
        conf = self.conf
        return bool(conf.get("key") and conf.get("secret") and conf.get("agent_id"))

    def token_query(self) -> dict:
        conf = self.conf
        if self.code == "dingtalk":
            return {"appkey": conf["key"], "appsecret": conf["secret"]}
        return {"corpid": conf["key"], "corpsecret": conf["secret"]}

    def message(self, user_id: str, title: str, text: str, url: str) -> dict:
        agent = int(self.conf["agent_id"])
        if self.code == "dingtalk":
            card = {"title": title, "markdown": f"### {title}\n\n{text}"}
            if url:
                card.update(single_title="查看详情", single_url=url)
                return {
                    "agent_id": agent,
                    "userid_list": user_id,
                    "msg": {"msgtype": "action_card", "action_card": card},
                }
            return {
                "agent_id": agent,
                "userid_list": user_id,
                "msg": {"msgtype": "text", "text": {"content": f"{title}\n{text}".strip()}},
            }
        if url:
            return {
                "touser": user_id,
                "agentid": agent,
                "msgtype": "textcard",
                "textcard": {
                    "title": title,
                    "description": text or title,
                    "url": url,
                    "btntxt": "详情",
                },
            }
        return {
            "touser": user_id,
            "agentid": agent,
            "msgtype": "text",
            "text": {"content": f"{title}\n{text}".strip()},
        }


PLATFORMS = {
    "dingtalk": Platform(
        code="dingtalk",
        gettoken_path="/gettoken",
        send_path="/topapi/message/corpconversation/asyncsend_v2",
        lookup_path="/topapi/v2/user/getbymobile",
        # 40014 invalid token, 42001 expired, 88 token missing or wrong
        token_errors=frozenset({40014, 42001, 88}),
        # -1 busy, 90002 / 90018 / 90006 frequency limits, 43004 concurrency
        busy_errors=frozenset({-1, 90002, 90006, 90018, 43004}),
    ),
    "wecom": Platform(
        code="wecom",
        gettoken_path="/cgi-bin/gettoken",
        send_path="/cgi-bin/message/send",
        lookup_path="/cgi-bin/user/getuserid",
        # 40014 invalid, 42001 expired, 41001 missing
        token_errors=frozenset({40014, 42001, 41001}),
        # -1 busy, 45009 frequency limit, 45033 concurrency limit, 45011 too frequent
        busy_errors=frozenset({-1, 45009, 45011, 45033}),
    ),
}


def configured_platforms() -> list[Platform]:
    return [p for p in PLATFORMS.values() if p.configured]


def _call(platform: Platform, path: str, *, query: dict, body: dict | None = None) -> dict:
    base = platform.conf.get("api_base", "").rstrip("/")
    url = f"{base}{path}?{urllib.parse.urlencode(query)}"
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise GiveUp(f"not an http(s) API base: {base[:80]}")
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310
            raw = answer.read(65536)
    except OSError as exc:  # refused, timed out, HTTP 5xx: the platform may be back later
        raise RetryLater(f"{platform.code}: {exc}") from exc
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError as exc:
        raise RetryLater(f"{platform.code} answered something that is not JSON") from exc
    return parsed if isinstance(parsed, dict) else {}


def _code(answer: dict) -> int:
    try:
        return int(answer.get("errcode", 0))
    except (TypeError, ValueError):
        return -1


def _token_key(platform: Platform) -> str:
    return f"engine:chat:token:{platform.code}:{platform.conf.get('key', '')}"


def access_token(platform: Platform, *, fresh: bool = False) -> str:
    """The app's access token, from the cache while it is valid; fetched by one caller at a time."""
    key = _token_key(platform)
    if fresh:
        cache.delete(key)
    token = cache.get(key)
    if token:
        return token
    lock = f"{key}:lock"
    deadline = time.monotonic() + settings.CHAT_TOKEN_WAIT_SECONDS
    while not cache.add(lock, 1, timeout=settings.CHAT_TOKEN_WAIT_SECONDS):
        # Another worker is fetching it: use theirs.
        time.sleep(0.05)
        token = cache.get(key)
        if token:
            return token
        if time.monotonic() > deadline:
            break
    try:
        token = cache.get(key)
        if token:
            return token
        answer = _call(platform, platform.gettoken_path, query=platform.token_query())
        code = _code(answer)
        if code in platform.busy_errors:
            raise RetryLater(f"{platform.code} gettoken errcode={code}")
        if code != 0 or not answer.get("access_token"):
            raise GiveUp(f"{platform.code} gettoken errcode={code}: {answer.get('errmsg', '')}")
        lifetime = int(answer.get("expires_in") or 7200)
        margin = settings.CHAT_TOKEN_MARGIN_SECONDS
        cache.set(key, answer["access_token"], timeout=max(lifetime - margin, 60))
        return answer["access_token"]
    finally:
        cache.delete(lock)


def _with_token(platform: Platform, path: str, body: dict) -> dict:
    """POST with the app's token; an invalid or expired token is replaced once."""
    answer = _call(platform, path, query={"access_token": access_token(platform)}, body=body)
    if _code(answer) in platform.token_errors:
        token = access_token(platform, fresh=True)
        answer = _call(platform, path, query={"access_token": token}, body=body)
    return answer


def send(platform: Platform, *, user_id: str, title: str, text: str, url: str) -> None:
    answer = _with_token(platform, platform.send_path, platform.message(user_id, title, text, url))
    code = _code(answer)
    if code == 0:
        if platform.code == "wecom" and answer.get("invaliduser"):
            raise GiveUp(f"wecom: unknown user {answer['invaliduser']}")
        return
    if code in platform.busy_errors or code in platform.token_errors:
        raise RetryLater(f"{platform.code} errcode={code}: {answer.get('errmsg', '')}")
    raise GiveUp(f"{platform.code} errcode={code}: {answer.get('errmsg', '')}")


def user_id_by_mobile(platform: Platform, mobile: str) -> str | None:
    """The platform's user id of the person with this mobile number; None if it knows none."""
    answer = _with_token(platform, platform.lookup_path, {"mobile": mobile})
    code = _code(answer)
    if code in platform.busy_errors:
        raise RetryLater(f"{platform.code} errcode={code}")
    if code != 0:
        return None
    if platform.code == "dingtalk":
        return (answer.get("result") or {}).get("userid") or None
    return answer.get("userid") or None
