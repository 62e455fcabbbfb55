"""Anonymous intake machinery shared by every public form that must not learn who is speaking
(reports here; anonymous complaints use the same pieces): tracking codes kept only as keyed
hashes, rate limits on hashed client keys, an offline challenge, and uploads stripped of what
could identify their author. Nothing here knows about a particular model."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from accounts.client_ip import client_ip
from engine import attachments, cleaning

from .errors import protect_request
from .models import RateCounter

# 32 symbols without the look-alikes 0/O and 1/I: 5 bits per symbol.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_SYMBOLS = 20  # 100 bits
CODE_GROUP = 4


# --- tracking codes ---------------------------------------------------------------------------


def new_tracking_code() -> str:
    """A fresh code from the OS random source, grouped for reading aloud: ABCD-EFGH-…"""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SYMBOLS))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_SYMBOLS, CODE_GROUP))


def normalize_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())[:64]


def code_digest(code: str, purpose: str) -> str:
    """The only form a code is stored in: HMAC-SHA256 keyed by SECRET_KEY, so a leaked table
    cannot be brute-forced offline and a lookup is one indexed equality query."""
    return salted_hmac(
        f"cases.intake.code.{purpose}", normalize_code(code), algorithm="sha256"
    ).hexdigest()


# --- rate limits --------------------------------------------------------------------------------


class RateLimited(Exception):
    pass


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600)."""
    count, _sep, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[:1]]
    return int(count), seconds


def client_key(request) -> str:
    """Who is asking, as a keyed hash: the raw address is never stored, only used to count."""
    address = client_ip(request) or "unknown"
    return salted_hmac("cases.intake.client", address, algorithm="sha256").hexdigest()[:32]


def hit(scope: str, key: str, rate: str) -> None:
    """Count one attempt in a fixed window; raise RateLimited once the window is full."""
    limit, window = parse_rate(rate)
    if _count(f"{scope}:{key}", window) > limit:
        raise RateLimited(scope)


def _count(key: str, window: int) -> int:
    """Add one to `key`'s counter and return the new count. Every step is a single UPDATE or
    INSERT on one row, so concurrent workers queue on that row (PostgreSQL row lock, SQLite
    write lock) and each one reads its own distinct count: exactly `limit` attempts pass."""
    now = timezone.now()
    rows = RateCounter.objects.filter(key=key)
    with transaction.atomic():
        if not rows.filter(expires_at__gt=now).update(count=F("count") + 1):
            ends = now + timedelta(seconds=window)
            if not rows.filter(expires_at__lte=now).update(count=1, expires_at=ends):
                try:
                    with transaction.atomic():
                        RateCounter.objects.create(key=key, count=1, expires_at=ends)
                except IntegrityError:  # another worker opened the window first
                    rows.update(count=F("count") + 1)
                else:
                    RateCounter.objects.filter(expires_at__lt=now).delete()
        return rows.values_list("count", flat=True).get()


# --- offline challenge --------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    token: str
    question: str


_CHALLENGE_SALT = "cases.intake.challenge"


def _challenge_mac(nonce: str, answer: int) -> str:
    return salted_hmac(_CHALLENGE_SALT, f"{nonce}:{answer}", algorithm="sha256").hexdigest()


def new_challenge() -> Challenge:
    """A small sum the person solves. The token carries a random nonce and an HMAC of nonce and
    answer under SECRET_KEY, never the answer: without the key, trying all possible sums against
    the HMAC gives nothing. Stateless until used; each token works once."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    nonce = secrets.token_hex(16)
    token = signing.dumps({"n": nonce, "m": _challenge_mac(nonce, a + b)}, salt=_CHALLENGE_SALT)
    return Challenge(token=token, question=_("How much is %(a)d plus %(b)d?") % {"a": a, "b": b})


def check_challenge(token: str, answer) -> None:
    max_age = settings.INTAKE_CHALLENGE_MAX_AGE
    try:
        data = signing.loads(token or "", salt=_CHALLENGE_SALT, max_age=max_age)
        nonce, mac = str(data["n"]), str(data["m"])
    except (signing.BadSignature, KeyError, TypeError):
        raise ValidationError(
            _("The check question has expired. Please answer the new one."), code="challenge"
        ) from None
    try:
        given = int(str(answer).strip())
    except (TypeError, ValueError):
        given = None
    if given is None or not constant_time_compare(_challenge_mac(nonce, given), mac):
        raise ValidationError(_("The answer to the check question is wrong."), code="challenge")
    if _count(f"challenge:{nonce}", max(max_age, 1)) > 1:
        raise ValidationError(
            _("This form was already sent. Please answer the new check question."),
            code="challenge",
        )


# --- uploads ------------------------------------------------------------------------------------


def validate_upload(upload) -> str:
    """The engine's size/type/archive checks, plus: nothing its cleaner cannot clean (old OLE
    Office files, whose author fields cannot be cleared reliably)."""
    mime = attachments.validate_upload(upload)
    cleaning.check_cleanable(mime)
    return mime


def store_upload(*, obj, upload, index: int):
    """Attach a copy cleaned by the engine's cleaner, refusing what it cannot clean. The
    original name is replaced by a neutral one (camera and personal file names identify people);
    nobody is recorded as the uploader."""
    validate_upload(upload)
    ext = os.path.splitext(attachments.clean_filename(upload.name))[1]
    return attachments.attach(
        actor=None,
        obj=obj,
        upload=upload,
        strip_metadata=True,
        strict=True,
        name=f"evidence-{index}{ext}",
    )


def confidential_view(view):
    """For views that receive what people must be able to say without being identified: never
    cached, and a crash reports no form field, local variable, file name, user or address."""

    @wraps(view)
    @never_cache
    @sensitive_post_parameters()
    @sensitive_variables()
    def wrapped(request, *args, **kwargs):
        protect_request(request)
        return view(request, *args, **kwargs)

    return wrapped
