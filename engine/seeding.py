"""Quiet seeding: the demo seeds replay months of work in seconds through the real services.

The notifications they leave are the demo's inboxes, but e-mailing them as they happen would bury
the terminal (the console backend in DEBUG) — or real mailboxes — in a burst about events nobody
just did, and push the demo logins off the screen. So while a seed runs, mail goes to the dummy
backend (the deliveries are still recorded, as they would be) and Celery's per-task log lines stay
below the terminal's level.
"""

import contextlib
import logging

from django.test.utils import override_settings

QUIET_MAIL = "django.core.mail.backends.dummy.EmailBackend"
CHATTY_LOGGERS = ("celery.app.trace",)


@contextlib.contextmanager
def quietly():
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND=QUIET_MAIL):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
