"""The client's address as the deployment's own proxies saw it. Every place that counts,
throttles or records addresses (login throttle, intake rate limits, audit trail) asks here."""

import ipaddress

from django.conf import settings


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT = n proxies in front, the entry of
    X-Forwarded-For that the outermost of them appended: each proxy appends the address it
    received from, so the last n entries are ours and anything before them is whatever the
    client chose to send. A header that does not fit gives the peer's address."""
    remote = request.META.get("REMOTE_ADDR") or ""
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if not forwarded or not all(_valid(part) for part in forwarded[-count:]):
        return remote
    return forwarded[max(len(forwarded) - count, 0)]
