"""Login throttling that slows a password guesser down without letting anyone lock a colleague
out. Failures are counted per (username, client address), so guessing from one place never
shuts the account's owner out elsewhere; the address is the one the trusted proxies saw
(accounts.client_ip). After LOGIN_FREE_FAILURES failures each further one makes the next attempt
wait, doubling up to LOGIN_MAX_DELAY_SECONDS. An attempt during a wait is refused unchecked and
not counted, so it neither reveals the password nor restarts the clock.

The backend wraps Django's ModelBackend, so every caller of authenticate() is covered: the login
page, the admin's login and the API's basic authentication. Web and API share the pair's count:
from one address it is one person guessing one password. LoginThrottleMiddleware turns a refusal
into 429 with Retry-After and how long to wait."""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .client_ip import client_ip
from .models import LoginThrottle
from .signed_in import LoadsFigures

log = logging.getLogger(__name__)


class LoginThrottled(PermissionDenied):
    """Raised by the backend: authenticate() stops asking other backends and returns None."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after `failures` failures in a row."""
    extra = failures - settings.LOGIN_FREE_FAILURES
    if extra <= 0:
        return 0
    delay = settings.LOGIN_DELAY_SECONDS * 2 ** min(extra - 1, 32)
    return min(delay, settings.LOGIN_MAX_DELAY_SECONDS)


def _attempt(username: str, address: str) -> tuple[int, int]:
    """Count the attempt as a failure before its password is checked, so attempts that arrive
    together queue on the row and each sees the ones before it. Returns (wait, delay): `wait`
    seconds left if the attempt is refused (nothing counted), else 0 and the `delay` a failure
    of this attempt imposes."""
    now = timezone.now()
    forget_before = now - timedelta(hours=settings.LOGIN_FAILURE_MEMORY_HOURS)
    with transaction.atomic():
        row, created = LoginThrottle.objects.select_for_update().get_or_create(
            username=username, address=address
        )
        if created:
            LoginThrottle.objects.filter(
                Q(wait_until__isnull=True) | Q(wait_until__lt=now),
                last_failure_at__lt=forget_before,
            ).delete()
        if row.wait_until and row.wait_until > now:
            return math.ceil((row.wait_until - now).total_seconds()), 0
        if row.last_failure_at and row.last_failure_at < forget_before:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        delay = delay_after(row.failures)
        row.wait_until = now + timedelta(seconds=delay) if delay else None
        row.save()
    return 0, delay


class ThrottledModelBackend(LoadsFigures, ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        # DRF hands over its own Request; the flag for the middleware goes on Django's.
        raw = getattr(request, "_request", request)
        key = str(username).strip().casefold()[:150]
        address = (client_ip(raw) if raw is not None else "")[:45]
        wait, delay = _attempt(key, address)
        if wait:
            if raw is not None:
                raw.login_wait = wait
            raise LoginThrottled(wait)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            LoginThrottle.objects.filter(username=key, address=address).delete()
        elif delay:
            log.warning("Failed logins for %r from %s: next one waits %d s", key, address, delay)
        return user


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def throttled_response(request, wait: int, *, as_json: bool):
    if as_json:
        message = _("Too many failed logins. Please try again in %(wait)s.")
        response = JsonResponse(
            {"code": "throttled", "message": message % {"wait": wait_text(wait)}, "wait": wait},
            status=429,
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"wait": wait_text(wait)},
            status=429,
        )
    response["Retry-After"] = str(wait)
    add_never_cache_headers(response)
    return response
