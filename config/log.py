"""Logging filters named in ``settings.LOGGING``."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Drop the traceback from django.request's records of 4xx answers.

    Django logs a refused request (PermissionDenied, BadRequest, an unparsable upload) with the
    exception attached, so every 403 put a stack trace in the log as if the server had failed.
    A client error is not a defect: one line names the path and status. 5xx records keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
