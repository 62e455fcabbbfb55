"""Error reports that say nothing identifying about requests to the intake pages.

Kept free of model imports: settings.DEFAULT_EXCEPTION_REPORTER points here and is loaded while
logging is configured, before the apps are ready."""

import re

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

_IDENTIFYING_META = re.compile(
    r"^(REMOTE_ADDR|REMOTE_HOST|HTTP_USER_AGENT|HTTP_X_FORWARDED_FOR|HTTP_X_REAL_IP|"
    r"HTTP_FORWARDED|HTTP_REFERER|HTTP_COOKIE|HTTP_AUTHORIZATION)$"
)


class ConfidentialReporterFilter(SafeExceptionReporterFilter):
    """Error reports of intake views show neither what was typed nor where it came from."""

    def get_post_parameters(self, request):
        return dict.fromkeys(request.POST, self.cleansed_substitute) if request else {}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        if not hasattr(request, "META"):
            return {}
        return {
            k: self.cleansed_substitute
            if _IDENTIFYING_META.match(k)
            else self.cleanse_setting(k, v)
            for k, v in request.META.items()
        }


class ConfidentialExceptionReporter(ExceptionReporter):
    """Set as DEFAULT_EXCEPTION_REPORTER (the admins' error e-mail uses that one, not the
    request's): for requests marked by `protect_request` it drops uploaded file names (they often
    carry the author's name) and who was signed in; other requests report as usual."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if getattr(self.request, "confidential_intake", False):
            data["request_FILES_items"] = []
            data["user_str"] = ""
        return data


def protect_request(request) -> None:
    """Mark a request so that a crash while handling it reports nothing identifying."""
    request.confidential_intake = True
    request.exception_reporter_filter = ConfidentialReporterFilter()
    request.exception_reporter_class = ConfidentialExceptionReporter
    request.sensitive_post_parameters = "__ALL__"
