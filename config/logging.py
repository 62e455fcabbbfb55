"""Logging filters."""

import logging

from django.core.exceptions import PermissionDenied


class ExpectedRefusalFilter(logging.Filter):
    """A 403 is an answer, not a fault: django.request logs "Forbidden: /path" with the
    PermissionDenied's traceback attached; keep the line, drop the traceback."""

    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
