"""Single sign-on through the college's CAS server (统一身份认证), on django-cas-ng.

The CAS user (or the attribute `CAS_USERNAME_ATTRIBUTE` names) is a staff or student number,
matched on `User.staff_no` through django-cas-ng's `CAS_LOCAL_NAME_FIELD`. A number nobody here
holds, one held twice, or a deactivated person gets a page that says which, and no account is
made unless `CAS_CREATE_USER` allows it (then with no roles and no usable password).
"""

import re

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import MultipleObjectsReturned, PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_cas_ng.backends import CASBackend
from django_cas_ng.views import LoginView, LogoutView

from .signed_in import LoadsFigures

# Why a CAS login found nobody to log in, for the page that says so.
REFUSALS = {
    "unknown": _(
        "The unified identity service knows you as %(number)s, but no one with this staff or "
        "student number has an account here. Ask the quality office to add you."
    ),
    "inactive": _(
        "Your account here has been deactivated. Ask the quality office if this is wrong."
    ),
    "ambiguous": _(
        "More than one account here has the staff or student number %(number)s. Ask the "
        "quality office to correct it."
    ),
    "failed": _("The unified identity service did not confirm your login. Please try again."),
}

SSO_SESSION_FLAG = "sso"


def sso_enabled() -> bool:
    return bool(settings.CAS_SERVER_URL)


class CollegeCASBackend(LoadsFigures, CASBackend):
    """django-cas-ng's backend, remembering why it found nobody (a backend instance serves one
    `authenticate` call)."""

    number = ""

    def clean_username(self, username):
        self.number = str(username).strip()
        return super().clean_username(self.number)

    def authenticate(self, request, ticket, service):
        try:
            user = super().authenticate(request, ticket=ticket, service=service)
        except MultipleObjectsReturned:
            user, reason = None, "ambiguous"
        else:
            reason = None if user is not None else self._reason()
        if request is not None and reason:
            request.sso_refusal = (reason, self.number)
        return user

    def _reason(self) -> str:
        if not self.number:
            return "failed"
        users = get_user_model()._default_manager.filter(staff_no=self.number)
        if users.filter(is_active=False).exists():
            return "inactive"
        return "unknown"

    def configure_user(self, user):
        # Made only when CAS_CREATE_USER is on: the number is the staff number, nothing else is
        # known, no role is given and the password stays unusable.
        user.staff_no = user.get_username()
        user.set_unusable_password()
        user.save(update_fields=["staff_no", "password"])
        return user


class SSOLoginView(LoginView):
    """django-cas-ng's login: a refusal is a page in Chinese instead of a bare 403, and the
    page a person is sent to afterwards must be on this site."""

    def get(self, request):
        if not sso_enabled():
            return HttpResponseRedirect(reverse("accounts:login"))
        try:
            response = super().get(request)
        except PermissionDenied:
            reason, number = getattr(request, "sso_refusal", ("failed", ""))
            return render(
                request,
                "registration/sso_refused.html",
                {"message": REFUSALS[reason] % {"number": number}},
                status=403,
            )
        if request.user.is_authenticated and request.GET.get("ticket"):
            request.session[SSO_SESSION_FLAG] = True
        return response

    def successful_login(self, request, next_page):
        if not url_has_allowed_host_and_scheme(
            next_page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_page = settings.CAS_REDIRECT_URL
        return super().successful_login(request, next_page)


def may_use_password(user) -> bool:
    """Whether `user` may log in with a local password (LOCAL_LOGIN): everyone, or only the
    administrators who need a way in when the CAS server is down."""
    if settings.LOCAL_LOGIN == "all" or user.is_superuser:
        return True
    from accounts.models import Role

    return user.memberships.filter(role=Role.SYSTEM_ADMIN).exists()


class SSOLogoutView(LogoutView):
    """Logs out here and at the CAS server, so the other systems of the portal log out too; the
    CAS server sends the person back to the login page."""

    def get(self, request):
        if not sso_enabled():
            return HttpResponseRedirect(reverse("accounts:login"))
        return super().get(request)


def register_local_service(site_url: str) -> bool:
    """Tell the local CAS server (CAS_LOCAL_SERVER) about this site: the user it sends is the
    staff number, with the name as an attribute, and single logout on. Idempotent; False when
    there is no local server."""
    if not apps.is_installed("cas_server"):
        return False
    from cas_server.models import ReplaceAttributName, ServicePattern

    # update_or_create: a site started on another address (make run HOST=...) re-registers
    pattern, _created = ServicePattern.objects.update_or_create(
        name="诊改 Engine",
        defaults={
            "pos": 1,
            "pattern": "^" + re.escape(site_url.rstrip("/")) + "/.*",
            "user_field": "staff_no",
            "single_log_out": True,
        },
    )
    for name in ("staff_no", "full_name"):
        ReplaceAttributName.objects.get_or_create(name=name, service_pattern=pattern)
    return True
