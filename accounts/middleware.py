from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .audit import request_ip
from .client_ip import client_ip
from .throttle import throttled_response


class RequestContextMiddleware:
    """Makes the client address available to the audit trail without threading `request` through
    every service call."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(client_ip(request) or None)
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the person chose another language (the language cookie set by
    the switcher). A browser's Accept-Language alone does not switch the UI: college PCs often
    run English-language browsers."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class LoginThrottleMiddleware:
    """A login the throttle refused (login page, admin or API basic auth alike) is answered with
    429, Retry-After and how long to wait: JSON where the answer would have been JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        wait = getattr(request, "login_wait", 0)
        if not wait:
            return response
        as_json = response.get("Content-Type", "").startswith("application/json")
        return throttled_response(request, wait, as_json=as_json)
