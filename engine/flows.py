"""Flow lock conflicts become a clear 409, never a 500.

Every flow sets `lock_impl = lock.select_for_update_lock`: when two people complete the same task
at once, the loser's lock attempt gives up (viewflow's FlowLockFailed) or the database gives up
waiting for a row lock. `LockConflictMiddleware` (in settings) turns both into
"someone else is completing this task, try again": a page for browsers, JSON for the API.
"""

from __future__ import annotations

from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed

# PostgreSQL: lock_not_available (NOWAIT, lock_timeout), deadlock_detected.
_LOCK_SQLSTATES = {"55P03", "40P01"}
_LOCK_MESSAGES = ("database is locked", "could not obtain lock")


def is_lock_conflict(exc: BaseException) -> bool:
    if isinstance(exc, FlowLockFailed):
        return True
    if not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _LOCK_SQLSTATES:
        return True
    return any(text in str(exc).lower() for text in _LOCK_MESSAGES)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def lock_conflict_response(request, exc: BaseException | None = None):
    message = _("Someone else is completing this task right now. Please try again in a moment.")
    if _wants_json(request):
        return JsonResponse({"code": "locked", "message": message}, status=409)
    return render(request, "engine/lock_conflict.html", {"message": message}, status=409)


class LockConflictMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if is_lock_conflict(exc):
            return lock_conflict_response(request, exc)
        return None
