"""Pages of 转办 (a leader reassigns a task) and 代理 (a person away names a deputy)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.models import Task

from . import delegation, holders, selectors, services
from .forms import AbsenceForm, TaskReassignForm, add_service_errors
from .models import Absence


@login_required
def task_reassign(request, pk):
    task = get_object_or_404(Task, pk=pk, flow_task_type="HUMAN")
    if not delegation.may_reassign(request.user, task):
        messages.error(
            request,
            # a step that is its person's own act is nobody's to hand on, whoever leads the unit
            _("This step is its person's own act: it is not handed on.")
            if delegation.is_personal(task)
            else _(
                "You may reassign only open tasks of the units you lead and the units under them."
            ),
        )
        return redirect("engine:inbox")
    row = selectors.task_rows([task])[0]
    if not delegation.has_reassign_candidates(request.user):
        # an empty picker would leave the leader guessing: say why nobody can be chosen
        return render(request, "engine/task_reassign.html", {"task": row, "form": None})
    candidates = delegation.reassign_candidates(request.user).exclude(
        pk__in=holders.reassign_excluded(task)
    )
    form = TaskReassignForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_reassign(
                actor=request.user,
                task=task,
                to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("engine:inbox")
        else:
            messages.success(
                request,
                _("The task was reassigned to %(person)s.")
                % {"person": form.cleaned_data["to_user"]},
            )
            return redirect("engine:inbox")
    return render(request, "engine/task_reassign.html", {"task": row, "form": form})


@login_required
def absences(request):
    """The person's absences (出差/请假) and their deputies; a form to add one."""
    form = AbsenceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your absence was saved; your deputy sees your tasks."))
            return redirect("engine:absences")
    mine = Absence.objects.filter(user=request.user).select_related("deputy")
    covering = Absence.objects.filter(deputy=request.user).select_related("user")
    return render(
        request,
        "engine/absences.html",
        {"form": form, "absences": mine, "covering": covering},
    )


@login_required
@require_POST
def absence_delete(request, pk):
    absence = get_object_or_404(Absence, pk=pk, user=request.user)
    services.absence_delete(actor=request.user, absence=absence)
    messages.success(request, _("The absence was removed."))
    return redirect("engine:absences")
