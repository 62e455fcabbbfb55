"""Anonymous intake machinery shared by every public form that must not learn who is speaking
(reports here; anonymous complaints use the same pieces): tracking codes kept only as keyed
hashes, rate limits on hashed client keys, an offline challenge, and uploads stripped of what
could identify their author. Nothing here knows about a particular model."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from engine import attachments, cleaning

from .errors import protect_request

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
    address = request.META.get("REMOTE_ADDR") or "unknown"
    return salted_hmac("cases.intake.client", address, algorithm="sha256").hexdigest()[:32]


def hit(scope: str, key: str, rate: str) -> None:
    """Count one attempt in a fixed window; raise RateLimited once the window is full."""
    limit, window = parse_rate(rate)
    cache_key = f"intake:{scope}:{key}"
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    if count > limit:
        raise RateLimited(scope)


# --- offline challenge --------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    token: str
    question: str


_CHALLENGE_SALT = "cases.intake.challenge"


def new_challenge() -> Challenge:
    """A small sum the person solves; its answer travels only inside a signed token, and each
    token works once, so no external captcha service and no server-side state until it is used."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps({"s": a + b, "n": secrets.token_hex(8)}, salt=_CHALLENGE_SALT)
    return Challenge(token=token, question=_("How much is %(a)d plus %(b)d?") % {"a": a, "b": b})


def check_challenge(token: str, answer) -> None:
    try:
        data = signing.loads(
            token or "", salt=_CHALLENGE_SALT, max_age=settings.INTAKE_CHALLENGE_MAX_AGE
        )
    except signing.BadSignature:
        raise ValidationError(
            _("The check question has expired. Please answer the new one."), code="challenge"
        ) from None
    try:
        given = int(str(answer).strip())
    except (TypeError, ValueError):
        given = None
    if given != data["s"]:
        raise ValidationError(_("The answer to the check question is wrong."), code="challenge")
    if not cache.add(f"intake:challenge:{data['n']}", 1, timeout=settings.INTAKE_CHALLENGE_MAX_AGE):
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
