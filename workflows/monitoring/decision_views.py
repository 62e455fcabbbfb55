"""The cycle page's decisions (decisions.py): propose one, decide one. Thin: the service checks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from engine.duties import DutyRefused

from . import access_rules, decisions
from .forms import CycleDecisionForm
from .models import Cycle, CycleDecision


def _errors(request, exc):
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def decision_propose(request, pk):
    cycle = access_rules.get_visible(request.user, Cycle, pk)
    form = CycleDecisionForm(request.POST, request.FILES, kinds=decisions.kinds_for(cycle))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("monitoring:cycle_detail", pk=pk)
    try:
        decision = decisions.cycle_decision_propose(
            actor=request.user, cycle=cycle, **form.cleaned_data
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("monitoring:cycle_detail", pk=pk)
    messages.success(request, _("Recorded; it waits for the decision."))
    return redirect(decision.get_absolute_url())


@login_required
@require_POST
def decision_decide(request, pk):
    decision = get_object_or_404(CycleDecision.objects.select_related("cycle__subject"), pk=pk)
    if not access_rules.can_view(request.user, decision.cycle) and not decisions.may_decide(
        request.user, decision
    ):
        from django.http import Http404

        raise Http404
    try:
        decisions.cycle_decision_decide(
            actor=request.user,
            decision=decision,
            approve=request.POST.get("approve") == "1",
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    except DutyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(decision.get_absolute_url())
