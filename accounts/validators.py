import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def validate_webhook_url(value: str) -> None:
    """A chat robot URL must be http(s) and must not point back at this application (which would
    let anyone who edits a unit make the app call its own endpoints)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("The webhook URL must start with http:// or https://."))
    host = parts.hostname.lower()
    own_hosts = {h.lower().strip("[]") for h in settings.ALLOWED_HOSTS if h and h != "*"}
    own_hosts |= {(urlsplit(settings.SITE_URL).hostname or "").lower()}
    own_hosts |= {"localhost", "testserver"}
    if host in own_hosts:
        raise ValidationError(_("The webhook URL must not point to this application."))
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if address.is_loopback or address.is_unspecified or address.is_link_local:
        raise ValidationError(_("The webhook URL must not point to this application."))
