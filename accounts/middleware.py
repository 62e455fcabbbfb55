from .audit import request_ip


class RequestContextMiddleware:
    """Makes the client address available to the audit trail without threading `request` through
    every service call."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
