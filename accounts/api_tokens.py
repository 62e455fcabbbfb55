"""Personal API tokens: `Authorization: Token <key>` (or `Bearer <key>`) on /api/v1/.

A key is `zg_` and 43 random URL-safe characters; the database keeps its SHA-256 only, so a
leaked table gives no usable key. A revoked token, or one whose owner is deactivated, is refused
with the same 401 as an unknown one.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken

KEY_PREFIX = "zg_"
SCHEMES = (b"token", b"bearer")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class TokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in SCHEMES:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The token header must be 'Token <key>'."))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=key_hash(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        self._note_use(token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword

    @staticmethod
    def _note_use(token: ApiToken) -> None:
        # One write per token per API_TOKEN_USE_RESOLUTION, not one per request.
        now = timezone.now()
        step = timedelta(seconds=settings.API_TOKEN_USE_RESOLUTION_SECONDS)
        if token.last_used_at is None or now - token.last_used_at >= step:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "个人 API 令牌：Token <key>（在“API 令牌”页面创建）",
        }
