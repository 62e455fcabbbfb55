"""Outside channels: email, unit chat robots (DingTalk / WeCom style JSON webhooks) and work
notifications to a person on DingTalk or WeCom (engine/chat.py)."""

import base64
import hashlib
import hmac
import json
import time
import urllib.request
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from .models import Delivery


def _signed(url: str, secret: str) -> str:
    """DingTalk's robot signature: HMAC-SHA256 over "timestamp\\nsecret", base64, url-encoded."""
    timestamp = str(round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest))
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def send(delivery: Delivery, *, mail=None) -> None:
    """Send one delivery; `mail` is an e-mail connection kept open across a batch."""
    notification = delivery.notification
    text = notification.title + ("\n" + notification.body if notification.body else "")
    if delivery.channel == Delivery.Channel.EMAIL:
        message = EmailMessage(
            notification.title,
            notification.body or notification.title,
            to=[delivery.target],
            connection=mail,
        )
        try:
            if mail is not None:
                mail.open()  # a no-op while open; sending then leaves it open for the next
            message.send()
        except Exception:
            if mail is not None:
                mail.close()  # a broken connection is not reused: the next send opens anew
            raise
        return
    if delivery.channel in (Delivery.Channel.DINGTALK, Delivery.Channel.WECOM):
        from . import chat
        from .notifications import absolute_url

        chat.send(
            chat.PLATFORMS[delivery.channel],
            user_id=delivery.target,
            title=notification.title,
            text=notification.body,
            url=absolute_url(notification.url),
        )
        return
    url = delivery.target
    if urlsplit(url).scheme not in ("http", "https"):
        # urllib would also open file:// and ftp:// URLs; a robot is only ever http(s)
        raise ValueError(f"refusing to call a non-http(s) webhook: {url[:80]}")
    unit = notification.unit
    if unit is not None and unit.webhook_secret:
        url = _signed(url, unit.webhook_secret)
    payload = json.dumps({"msgtype": "text", "text": {"content": text}}).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme validated on the unit (http/https only)
        url, data=payload, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
        body = response.read(4096)
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise RuntimeError(
            f"robot answered errcode={answer.get('errcode')}: {answer.get('errmsg', '')}"
        )
