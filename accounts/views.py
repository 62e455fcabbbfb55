from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from engine.selectors import inbox_page, task_rows

from . import access, selectors, services, sso, unit_panels, unit_work
from . import home as home_cards
from .access import Cap
from .forms import (
    ApiTokenForm,
    AuditFilter,
    MembershipAddForm,
    PasswordLoginForm,
    RosterImportForm,
    UnitCloseForm,
    UnitCreateForm,
    UnitMoveForm,
    UnitRenameForm,
    UserFilter,
)
from .models import Membership, OrgUnit

HOME_TASKS = 10


@login_required
def home(request):
    memberships = selectors.user_home_units(request.user)
    duties = []
    seen = set()
    for m in memberships:
        text = home_cards.duties_of(m["role_code"], m["unit"])
        if (m["role_code"], text) not in seen:
            seen.add((m["role_code"], text))
            duties.append({"role": m["role"], "text": text})
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "duties": duties,
            "tasks": task_rows(inbox_page(request.user, 0, HOME_TASKS)),
            "cards": home_cards.cards_for(request.user),
        },
    )


@login_required
def unit_list(request):
    access.require(request.user, Cap.UNIT_VIEW)
    return render(
        request,
        "accounts/unit_list.html",
        {
            "units": selectors.unit_tree(request.user),
            "can_edit_tree": access.has_capability(request.user, Cap.UNIT_TREE),
        },
    )


def add_service_error(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def unit_create(request):
    access.require(request.user, Cap.UNIT_TREE)
    initial = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        initial["parent"] = parent_id
    form = UnitCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.org_unit_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Unit “%(name)s” created.") % {"name": unit.name})
            return redirect("accounts:unit_detail", unit.pk)
    return render(
        request,
        "accounts/unit_form.html",
        {"form": form, "title": _("New unit"), "submit": _("Create")},
    )


def _tree_unit(request, pk) -> OrgUnit:
    unit = access.get_unit(request.user, pk, Cap.UNIT_VIEW)
    access.require(request.user, Cap.UNIT_TREE)
    return unit


@login_required
def unit_rename(request, pk):
    unit = _tree_unit(request, pk)
    form = UnitRenameForm(request.POST or None, initial={"name": unit.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.org_unit_rename(actor=request.user, unit=unit, name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Unit renamed."))
            return redirect("accounts:unit_detail", unit.pk)
    return render(
        request,
        "accounts/unit_form.html",
        {"form": form, "unit": unit, "title": _("Rename unit"), "submit": _("Save")},
    )


@login_required
def unit_move(request, pk):
    unit = _tree_unit(request, pk)
    form = UnitMoveForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.org_unit_move(
                actor=request.user, unit=unit, parent=form.cleaned_data["parent"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Unit moved."))
            return redirect("accounts:unit_detail", unit.pk)
    return render(
        request,
        "accounts/unit_form.html",
        {"form": form, "unit": unit, "title": _("Move unit"), "submit": _("Move unit")},
    )


@login_required
def unit_close(request, pk):
    unit = _tree_unit(request, pk)
    form = UnitCloseForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.org_unit_close(
                actor=request.user, unit=unit, hand_over_to=form.cleaned_data["hand_over_to"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Unit closed."))
            return redirect("accounts:unit_detail", unit.pk)
    return render(
        request,
        "accounts/unit_close.html",
        {
            "form": form,
            "unit": unit,
            "work": unit_work.open_work(services.org_unit_subtree(unit)),
        },
    )


@login_required
def unit_members(request, pk):
    """A unit's memberships, managed by whoever may grant roles there (data: GrantableRole)."""
    unit = access.get_unit(request.user, pk, Cap.UNIT_VIEW)
    roles = access.grantable_roles(request.user, unit)
    if not roles:
        raise PermissionDenied
    form = MembershipAddForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(
                actor=request.user,
                user=form.cleaned_data["user"],
                org_unit=unit,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("accounts:unit_members", unit.pk)
    return render(
        request,
        "accounts/unit_members.html",
        {
            "unit": unit,
            "form": form,
            "members": selectors.unit_members(unit),
            "roles": roles,
        },
    )


@login_required
def membership_remove(request, pk, membership_pk):
    unit = access.get_unit(request.user, pk, Cap.UNIT_VIEW)
    membership = get_object_or_404(Membership, pk=membership_pk, org_unit=unit)
    if request.method != "POST":
        return redirect("accounts:unit_members", unit.pk)
    services.membership_remove(actor=request.user, membership=membership)
    messages.success(request, _("Member removed."))
    return redirect("accounts:unit_members", unit.pk)


@login_required
def user_list(request):
    access.require(request.user, Cap.USER_MANAGE)
    users = get_user_model().objects.order_by("username")
    q = UserFilter.read(request).cleaned_data["q"]
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(full_name__icontains=q) | Q(staff_no__icontains=q)
        )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "q": q})


@login_required
def user_set_active(request, pk):
    access.require(request.user, Cap.USER_MANAGE)
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST":
        active = request.POST.get("active") == "1"
        try:
            services.user_set_active(actor=request.user, user=user, active=active)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(
                request,
                (
                    _("%(name)s can sign in again.")
                    if active
                    else _("%(name)s can no longer sign in.")
                )
                % {"name": user},
            )
    back = reverse("accounts:user_list")
    q = request.POST.get("q", "").strip()
    return redirect(f"{back}?{urlencode({'q': q})}" if q else back)


@login_required
def unit_detail(request, pk):
    unit = access.get_unit(request.user, pk, Cap.UNIT_VIEW)
    return render(
        request,
        "accounts/unit_detail.html",
        {
            "unit": unit,
            "members": selectors.unit_members(unit),
            "counts": selectors.unit_subtree_counts(unit),
            "children": OrgUnit.objects.get_children(unit),
            "can_manage_members": bool(access.grantable_roles(request.user, unit)),
            "can_edit_tree": access.can(request.user, Cap.UNIT_TREE, unit),
            "panels": unit_panels.panels_for(request.user, unit),
        },
    )


@login_required
def roster_import(request):
    access.require(request.user, Cap.ROSTER_IMPORT)
    form = RosterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.roster_import(actor=request.user, file=form.cleaned_data["file"])
        except services.RosterFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("engine:import_run", pk=run.pk)
    return render(request, "accounts/roster_import.html", {"form": form})


@login_required
def audit_list(request):
    access.require(request.user, Cap.AUDIT_VIEW)
    entries = selectors.audit_entries(request.user)
    action = AuditFilter.read(request).cleaned_data["action"]
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_list.html", {"page": page, "action": action})


@require_GET
def favicon(request):
    """Browsers and feed readers ask /favicon.ico whatever a page links: the static icon (its
    hashed name in production, so not a permanent redirect)."""
    from django.templatetags.static import static

    return redirect(static("favicon.ico"))


@login_required
def me(request):
    """Who is signed in, and nothing else: the floor the page benchmarks and the load run
    compare every page with (a logged-in request that reads only the session and the user)."""
    return JsonResponse({"username": request.user.get_username(), "name": str(request.user)})


@never_cache
@require_GET
def healthz(request):
    from django.conf import settings

    status = {"database": "ok", "broker": "eager"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        status["database"] = "unavailable"
        healthy = False
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            ).ping()
            status["broker"] = "ok"
        except Exception:
            status["broker"] = "unavailable"
            healthy = False
    status["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(status, status=200 if healthy else 503)


def _api_error(request, status: int, code: str, message: str):
    """On /api/ an error Django answers itself (no such URL, a handler-level 400/403/500) is in
    the API's JSON error shape too."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=status)
    return None


def error_400(request, exception=None):
    from engine.filters import FilterRefused

    # a refused page filter names the filter and why; other bad requests say nothing more
    message = str(exception) if isinstance(exception, FilterRefused) else ""
    return _api_error(request, 400, "invalid", message or "Bad request.") or render(
        request, "400.html", {"message": message}, status=400
    )


def error_403(request, exception=None):
    from engine.duties import DutyRefused

    # a separation-of-duties refusal names its rule; other refusals say nothing more
    reason = str(exception) if isinstance(exception, DutyRefused) else ""
    return _api_error(request, 403, "forbidden", reason or "Access denied.") or render(
        request, "403.html", {"reason": reason}, status=403
    )


def error_404(request, exception=None):
    return _api_error(request, 404, "not_found", "Not found.") or render(
        request, "404.html", status=404
    )


def error_500(request):
    return _api_error(request, 500, "error", "Server error.") or render(
        request, "500.html", status=500
    )


class LoginView(auth_views.LoginView):
    """The login page: 统一身份认证 first when SSO is on; the password form below it, or only
    for administrators behind a link when LOCAL_LOGIN=admins."""

    form_class = PasswordLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sso_on = sso.sso_enabled()
        context["sso"] = sso_on
        context["password_form_shown"] = (
            not sso_on
            or settings.LOCAL_LOGIN == "all"
            or self.request.GET.get("local") == "1"
            or self.request.method == "POST"
        )
        return context


class LogoutView(auth_views.LogoutView):
    """A session that came from the CAS server logs out there too (single logout)."""

    def post(self, request, *args, **kwargs):
        if sso.sso_enabled() and request.session.get(sso.SSO_SESSION_FLAG):
            return sso.SSOLogoutView.as_view()(request)
        return super().post(request, *args, **kwargs)


@login_required
def token_list(request):
    key = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, key = services.api_token_create(
                actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            form = ApiTokenForm()
    tokens = access.visible_api_tokens(request.user)
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "tokens": tokens, "new_key": key},
        status=400 if form.errors else 200,
    )


@login_required
def token_revoke(request, pk):
    token = access.get_api_token(request.user, pk)
    if request.method == "POST":
        services.api_token_revoke(actor=request.user, token=token)
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:token_list")
