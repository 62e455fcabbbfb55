from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from engine.selectors import inbox_tasks, task_rows

from . import access, selectors, services, unit_panels
from . import home as home_cards
from .access import Cap
from .forms import RosterImportForm
from .models import OrgUnit


@login_required
def home(request):
    memberships = selectors.user_home_units(request.user)
    duties = []
    seen = set()
    for m in memberships:
        if m["role_code"] not in seen:
            seen.add(m["role_code"])
            duties.append({"role": m["role"], "text": home_cards.DUTIES.get(m["role_code"], "")})
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "duties": duties,
            "tasks": task_rows(inbox_tasks(request.user)[:20]),
            "cards": home_cards.cards_for(request.user),
        },
    )


@login_required
def unit_list(request):
    access.require(request.user, Cap.UNIT_VIEW)
    return render(request, "accounts/unit_list.html", {"units": selectors.unit_tree(request.user)})


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
            "can_manage": access.can(request.user, Cap.UNIT_MANAGE, unit),
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
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_list.html", {"page": page, "action": action})


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
    return _api_error(request, 400, "invalid", "Bad request.") or render(
        request, "400.html", status=400
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
