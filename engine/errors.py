"""Refusals every feature raises the same way."""

from django.core.exceptions import ValidationError


class WrongState(ValidationError):
    """A step refused because its object is past it (a request already answered, a report
    closed): a page shows it as it shows any refusal, the API answers 409 Conflict, as for an
    illegal transition, not 400 (nothing in the request was malformed)."""
