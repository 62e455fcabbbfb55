"""The edge: input no view can handle is refused before any view, form, authentication backend
(the login throttle) or query sees it."""

import base64
import binascii
import json

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"
# Bodies read whole to look for NUL bytes; multipart bodies are parsed into fields and files.
_READ_WHOLE = ("application/json", "application/x-www-form-urlencoded", "text/plain")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _basic_credentials(header: str) -> bytes:
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "basic":
        return b""
    try:
        return base64.b64decode(token.strip(), validate=False)
    except (binascii.Error, ValueError):
        return b""  # DRF's BasicAuthentication answers a malformed header with 401


def _query_has_nul(querydict) -> bool:
    return any(_has_nul(key) or _has_nul(values) for key, values in querydict.lists())


def _body_has_nul(request) -> bool:
    """May raise RequestDataTooBig (over DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        return _query_has_nul(request.POST) or any(
            NUL in f.name for f in request.FILES.values() if f.name
        )
    if not content_type.startswith(_READ_WHOLE):
        return False
    body = request.body
    if b"\x00" in body:
        return True
    if content_type == "application/json" and b"u0000" in body.lower():
        try:
            return _has_nul(json.loads(body))
        except ValueError:
            return False  # the parser answers invalid JSON with 400
    return content_type.startswith("application/x-www-form-urlencoded") and _query_has_nul(
        request.POST
    )


class MalformedInputMiddleware:
    """400 for a NUL byte in the path, query string, a header, basic-auth credentials or the body
    (PostgreSQL cannot store or even compare a string with one: a query with it fails, so
    every form field, filter and login would otherwise be a 500); 413 for a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE. JSON in the API's error shape on /api/, a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            nul = (
                NUL in request.path
                or _query_has_nul(request.GET)
                or any(
                    isinstance(v, str) and NUL in v
                    for k, v in request.META.items()
                    if k.startswith("HTTP_")
                )
                or b"\x00" in _basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
                or _body_has_nul(request)
            )
        except RequestDataTooBig:
            return self.refuse(
                request,
                413,
                "too_large",
                _("The request is too large: at most %(mb)s MB of form or JSON data.")
                % {"mb": _max_mb()},
            )
        if nul:
            return self.refuse(
                request,
                400,
                "invalid",
                _("The request contains a NUL character, which no field may hold."),
            )
        return self.get_response(request)

    @staticmethod
    def refuse(request, status, code, message):
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message}, status=status)
        return render(request, "400.html", {"message": message, "status": status}, status=status)


def _max_mb():
    from django.conf import settings

    return round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)
