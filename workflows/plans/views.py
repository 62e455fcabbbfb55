from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import OrgUnit
from engine import attachments, documents, duties
from engine.holders import acting_for

from . import committee, exports, flows, forms, imports, selectors, services, tree
from .models import (
    EDITABLE_STATES,
    PERSONAL_PLAN_OWNER,
    ChangeRequest,
    CommitteeDecision,
    ExportJob,
    PendingImport,
    Plan,
    Standard,
    Target,
)
from .permissions import (
    PlanCap,
    can_edit,
    can_review,
    can_view,
    can_work_task,
    get_task,
    get_visible,
)
from .tasks import run_export

MODELS = selectors.MODELS
PREVIEW_PAGE_ROWS = 200


def _model(kind):
    model = MODELS.get(kind)
    if model is None:
        raise Http404
    return model


def _errors(exc) -> list[str]:
    if isinstance(exc, services.StateConflict):
        return [exc.message]
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def _report(request, exc):
    for message in _errors(exc):
        messages.error(request, message)


def _form_errors(form, exc):
    if hasattr(exc, "message_dict"):
        for name, msgs in exc.message_dict.items():
            for m in msgs:
                form.add_error(name if name in form.fields else None, m)
    else:
        for m in _errors(exc):
            form.add_error(None, m)


@login_required
def index(request):
    access.require(request.user, PlanCap.VIEW)
    nodes = selectors.flatten(selectors.chain_tree(request.user))
    return render(request, "plans/index.html", {"nodes": nodes, "tree": tree.render_tree(nodes)})


@login_required
def inbox(request):
    access.require(request.user, PlanCap.VIEW)
    items, changes = selectors.awaiting_committee(request.user)
    tasks = selectors.my_open_tasks(request.user).select_related("plan", "lead_unit")[:200]
    return render(
        request,
        "plans/inbox.html",
        {
            "reviews": selectors.awaiting_review(request.user),
            "committee_items": items,
            "committee_changes": changes,
            "tasks": tasks,
            "assisting": selectors.my_assisting_tasks(request.user).select_related(
                "plan", "lead_unit"
            )[:200],
        },
    )


@login_required
def gaps(request):
    access.require(request.user, PlanCap.VIEW)
    return render(request, "plans/gaps.html", selectors.gaps(request.user))


def _create_form_kwargs(request, kind):
    # Teachers and students draft their self-development plans in the units they belong to.
    units = access.visible_units(request.user, PlanCap.EDIT) | OrgUnit.objects.filter(
        memberships__user=request.user
    )
    units = units.distinct()
    plans = selectors.visible(request.user, Plan).exclude(
        state__in=[services.ItemState.RETIRED, services.ItemState.SUPERSEDED]
    )
    if kind == "plan":
        if access.has_capability(request.user, PlanCap.EDIT):
            return forms.PlanCreateForm, {"units": units, "plans": plans}
        # a teacher or a student drafts their own self-development plan, in a unit where they
        # hold that role
        owned = [
            (kind_, role, level)
            for kind_, (role, level) in PERSONAL_PLAN_OWNER.items()
            if role in access.roles(request.user)
        ]
        units = OrgUnit.objects.filter(
            memberships__user=request.user, memberships__role__in=[r for _k, r, _l in owned]
        ).distinct()
        return forms.PlanCreateForm, {
            "units": units,
            "plans": plans,
            "personal": [(k, level) for k, _role, level in owned],
            "person": request.user,
        }
    if kind == "target":
        return forms.TargetCreateForm, {"plans": plans, "units": units}
    return forms.StandardCreateForm, {
        "units": units,
        "targets": selectors.visible(request.user, Target),
    }


@login_required
def item_create(request, kind):
    _model(kind)
    access.require(request.user, PlanCap.VIEW)
    form_class, kwargs = _create_form_kwargs(request, kind)
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == "plan":
                item = services.plan_create(
                    actor=request.user,
                    owner_unit=data["owner_unit"],
                    level=data["level"],
                    owner_user=request.user if data["kind"] in services.PERSONAL_KINDS else None,
                    content=form.content(),
                    reviewing_unit=data.get("reviewing_unit"),
                )
            elif kind == "target":
                item = services.target_create(
                    actor=request.user,
                    plan=data["plan"],
                    owner_unit=data["owner_unit"],
                    content=form.content(),
                    reviewing_unit=data.get("reviewing_unit"),
                )
            else:
                item = services.standard_create(
                    actor=request.user,
                    owner_unit=data["owner_unit"],
                    level=data["level"],
                    content=form.content(),
                    reviewing_unit=data.get("reviewing_unit"),
                )
        except PermissionDenied:
            form.add_error(None, _("You may not create items for this unit."))
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(item)
    return render(request, "plans/item_form.html", {"form": form, "kind": kind, "item": None})


@login_required
def item_detail(request, kind, pk):
    item = get_visible(request.user, _model(kind), pk)
    context = {
        "item": item,
        "kind": kind,
        "versions": selectors.versions_of(item),
        "changes": selectors.changes_of(item),
        "documents": attachments.attachments_for(item) if kind != "target" else [],
        "can_edit": can_edit(request.user, item),
        "can_review": can_review(request.user, item),
        "can_decide": access.can(request.user, PlanCap.DECIDE),
        "can_request": services.may_request_change(request.user, item),
        "allowed": services.allowed_transitions(item),
        "comment_form": forms.CommentForm(),
        "upload_form": forms.UploadForm(),
        "reviewing_form": forms.ReviewingUnitForm(
            initial={"reviewing_unit": item.reviewing_unit_id}
        ),
    }
    if kind == "plan":
        context["children"] = item.children.filter(
            pk__in=selectors.visible(request.user, Plan).values("pk")
        )
        context["targets"] = selectors.visible(request.user, Target).filter(plan=item)
        context["tasks"] = selectors.visible_tasks(request.user).filter(plan=item)
    elif kind == "target":
        context["values"] = item.values.all()
        # the standards the viewer may open: a link that answers 404 helps nobody
        context["standards"] = selectors.visible(request.user, Standard).filter(targets=item)
    else:
        context["targets"] = item.targets.select_related("plan")
    return render(request, "plans/item_detail.html", context)


@login_required
def item_edit(request, kind, pk):
    item = get_visible(request.user, _model(kind), pk)
    if not can_edit(request.user, item):
        raise PermissionDenied
    if request.method == "GET" and item.state == services.ItemState.IN_FORCE:
        messages.info(request, _("An approved item changes only through a change request."))
        return redirect("plans:change_create", kind, item.pk)
    if request.method == "GET" and item.state not in EDITABLE_STATES:
        # submitted, under review or retired: the form would only be refused on saving
        messages.info(
            request,
            _("%(state)s: the item is edited only as a draft or when returned.")
            % {"state": item.get_state_display()},
        )
        return redirect(item)
    form_class = forms.FORMS[kind]
    kwargs = {}
    if kind == "plan":
        kwargs["plans"] = selectors.visible(request.user, Plan).exclude(pk=item.pk)
    if kind == "standard":
        kwargs["targets"] = selectors.visible(request.user, Target)
    initial = form_class.initial_from(services.item_content(item))
    form = form_class(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_update(actor=request.user, item=item, content=form.content())
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(item)
    return render(request, "plans/item_form.html", {"form": form, "kind": kind, "item": item})


def _post_action(request, kind, pk, action):
    item = get_visible(request.user, _model(kind), pk)
    try:
        action(item)
    except (ValidationError, services.StateConflict) as exc:
        _report(request, exc)
    return redirect(item)


@login_required
@require_POST
def item_submit(request, kind, pk):
    def act(item):
        services.item_submit(actor=request.user, item=item)
        messages.success(request, _("Submitted for review."))

    return _post_action(request, kind, pk, act)


@login_required
@require_POST
def item_review(request, kind, pk):
    approve = request.POST.get("decision") == "approve"

    def act(item):
        services.item_review(
            actor=request.user, item=item, approve=approve, comment=request.POST.get("comment", "")
        )
        messages.success(
            request, _("Passed to the committee.") if approve else _("Returned with comments.")
        )

    return _post_action(request, kind, pk, act)


@login_required
@require_POST
def item_vote(request, kind, pk):
    approve = request.POST.get("decision") == "approve"

    def act(item):
        decision = services.committee_vote(
            actor=request.user,
            subject=item,
            approve=approve,
            comment=request.POST.get("comment", ""),
        )
        messages.success(
            request,
            _("Your vote is recorded.") if decision is None else _("The committee decided."),
        )

    return _post_action(request, kind, pk, act)


@login_required
def item_retire(request, kind, pk):
    """申请废止: the form asking the committee to retire or replace an item in force."""
    model = _model(kind)
    item = get_visible(request.user, model, pk)
    if not services.may_request_change(request.user, item):
        raise PermissionDenied
    successors = (
        selectors.visible(request.user, model)
        .exclude(pk=item.pk)
        .exclude(state__in=services.RETIRED_STATES)
    )
    form = forms.EndRequestForm(request.POST or None, successors=successors)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.item_end_request(
                actor=request.user,
                item=item,
                reason=form.cleaned_data["reason"],
                successor=form.cleaned_data["successor"],
            )
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Request sent to the committee; the item stays in force."))
            return redirect(change)
    return render(request, "plans/end_form.html", {"form": form, "item": item, "kind": kind})


@login_required
@require_POST
def item_delete(request, kind, pk):
    item = get_visible(request.user, _model(kind), pk)
    if not can_edit(request.user, item):
        raise PermissionDenied
    try:
        services.item_delete(actor=request.user, item=item)
    except (ValidationError, services.StateConflict) as exc:
        _report(request, exc)
        return redirect(item)
    messages.success(request, _("Draft deleted."))
    return redirect("plans:index")


@login_required
@require_POST
def item_reviewing_unit(request, kind, pk):
    form = forms.ReviewingUnitForm(request.POST)

    def act(item):
        if not form.is_valid():
            raise ValidationError([m for msgs in form.errors.values() for m in msgs])
        services.item_set_reviewing_unit(
            actor=request.user, item=item, office=form.cleaned_data["reviewing_unit"]
        )
        messages.success(request, _("Reviewing office saved."))

    return _post_action(request, kind, pk, act)


@login_required
@require_POST
def item_document(request, kind, pk):
    if kind == "target":
        raise Http404
    form = forms.UploadForm(request.POST, request.FILES)

    def act(item):
        if not form.is_valid():
            raise ValidationError([m for msgs in form.errors.values() for m in msgs])
        services.item_document_upload(
            actor=request.user, item=item, upload=form.cleaned_data["file"]
        )
        messages.success(request, _("Document uploaded."))

    return _post_action(request, kind, pk, act)


@login_required
def change_create(request, kind, pk):
    item = get_visible(request.user, _model(kind), pk)
    if not can_edit(request.user, item):
        raise PermissionDenied
    form_class = forms.FORMS[kind]
    kwargs = {}
    if kind == "plan":
        kwargs["plans"] = selectors.visible(request.user, Plan).exclude(pk=item.pk)
    if kind == "standard":
        kwargs["targets"] = selectors.visible(request.user, Target)
    initial = form_class.initial_from(services.item_content(item))
    form = form_class(request.POST or None, initial=initial, **kwargs)
    change_form = forms.ChangeRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and change_form.is_valid():
        try:
            change = services.change_request_create(
                actor=request.user,
                item=item,
                summary=change_form.cleaned_data["summary"],
                reason=change_form.cleaned_data["reason"],
                proposed=form.content(),
            )
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(change_form, exc)
        else:
            messages.success(request, _("Change request sent to the committee."))
            return redirect("plans:change_detail", change.pk)
    return render(
        request,
        "plans/change_form.html",
        {"form": form, "change_form": change_form, "item": item, "kind": kind},
    )


def _get_change(user, pk):
    change = get_object_or_404(ChangeRequest, pk=pk)
    if change.item is None or not can_view(user, change.item):
        raise Http404
    return change


@login_required
def change_detail(request, pk):
    change = _get_change(request.user, pk)
    item = change.item
    rows = services.change_rows(change)
    decision = CommitteeDecision.objects.filter(
        content_type=ContentType.objects.get_for_model(ChangeRequest), object_id=change.pk
    ).first()
    refused = duties.refusal(
        process_key=committee.PROCESS, step="vote", actor=request.user, obj=change
    )
    return render(
        request,
        "plans/change_detail.html",
        {
            "change": change,
            "item": item,
            "rows": rows,
            "effect": selectors.effect_rows(change.effect),
            "decision": decision,
            "voters": committee.electorate_rows(decision) if decision else [],
            "tally": committee.tally(decision) if decision else None,
            "can_decide": access.can(request.user, PlanCap.DECIDE)
            and (decision is None or request.user.pk in decision.electorate),
            "refused": refused if access.can(request.user, PlanCap.DECIDE) else None,
            "comment_form": forms.CommentForm(),
        },
    )


@login_required
@require_POST
def change_vote(request, pk):
    change = _get_change(request.user, pk)
    try:
        decision = services.committee_vote(
            actor=request.user,
            subject=change,
            approve=request.POST.get("decision") == "approve",
            comment=request.POST.get("comment", ""),
        )
    except (ValidationError, services.StateConflict) as exc:
        _report(request, exc)
    except PermissionDenied as exc:
        # a rule (the proposer does not vote) or a membership that began after the vote opened
        if not str(exc):
            raise
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your vote is recorded.") if decision is None else _("The committee decided."),
        )
    return redirect("plans:change_detail", change.pk)


@login_required
def item_diff(request, kind, pk):
    item = get_visible(request.user, _model(kind), pk)
    numbers = list(selectors.versions_of(item).values_list("number", flat=True))
    try:
        a = int(request.GET.get("a") or (numbers[-2] if len(numbers) > 1 else 1))
        b = int(request.GET.get("b") or (numbers[-1] if numbers else 1))
    except ValueError as exc:
        raise Http404 from exc
    return render(
        request,
        "plans/diff.html",
        {
            "item": item,
            "kind": kind,
            "a": a,
            "b": b,
            "numbers": numbers,
            "rows": selectors.version_diff(item, a, b),
        },
    )


@login_required
def task_list(request):
    access.require(request.user, PlanCap.VIEW)
    tasks = selectors.visible_tasks(request.user).select_related("plan", "lead_unit", "person")
    filters = forms.TaskFilter.read(request).cleaned_data
    state = filters["state"]
    if state:
        tasks = tasks.filter(state=state)
    if filters["plan"]:
        tasks = tasks.filter(plan_id=filters["plan"])
    if filters["overdue"]:
        tasks = tasks.filter(state=services.TaskState.OPEN, deadline__lt=timezone.localdate())
    return render(request, "plans/task_list.html", {"tasks": tasks[:500], "state": state})


@login_required
def task_create(request, plan_pk):
    plan = get_visible(request.user, Plan, plan_pk)
    if not can_edit(request.user, plan):
        raise PermissionDenied
    form = forms.TaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        assisting = data.pop("assisting_units")
        try:
            task = services.task_create(actor=request.user, plan=plan, assisting=assisting, **data)
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Task added."))
            return redirect(task)
    return render(request, "plans/task_form.html", {"form": form, "plan": plan})


@login_required
def task_detail(request, pk):
    task = get_task(request.user, pk)
    return render(
        request,
        "plans/task_detail.html",
        {
            "task": task,
            "chain": selectors.task_chain_up(task),
            "assisting": task.assisting_units.all(),
            "evidence": attachments.attachments_for(task),
            "can_work": can_work_task(request.user, task),
            "upload_form": forms.UploadForm(),
        },
    )


@login_required
@require_POST
def task_evidence(request, pk):
    task = get_task(request.user, pk)
    form = forms.UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.task_add_evidence(
                actor=request.user, task=task, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            _report(request, exc)
        else:
            messages.success(request, _("Evidence uploaded."))
    else:
        for msgs in form.errors.values():
            for m in msgs:
                messages.error(request, m)
    return redirect(task)


@login_required
@require_POST
def task_complete(request, pk):
    task = get_task(request.user, pk)
    try:
        services.task_complete(actor=request.user, task=task)
    except (ValidationError, services.StateConflict) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Task completed."))
    return redirect(task)


@login_required
def import_upload(request):
    access.require(request.user, PlanCap.EDIT)
    plans = selectors.visible(request.user, Plan).filter(
        owner_unit__in=access.visible_units(request.user, PlanCap.EDIT)
    )
    form = forms.ImportForm(request.POST or None, request.FILES or None, plans=plans)
    if request.method == "POST" and form.is_valid():
        try:
            run = imports.import_preview(
                actor=request.user, plan=form.cleaned_data["plan"], upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if run.status == run.Status.DONE:
                return redirect("plans:import_preview", run.result["pending"])
            if not run.finished:
                return redirect("engine:import_run", pk=run.pk)
            form.add_error("file", run.message)
    return render(request, "plans/import_upload.html", {"form": form})


@login_required
def import_preview(request, pk):
    pending = get_object_or_404(PendingImport, pk=pk, owner=request.user)
    in_force = pending.plan.state == services.ItemState.IN_FORCE
    change_form = forms.TaskChangeForm(request.POST or None) if in_force else None
    if request.method == "POST" and in_force:
        if change_form.is_valid():
            try:
                change = imports.import_request_change(
                    actor=request.user,
                    pending_id=pending.pk,
                    reason=change_form.cleaned_data["reason"],
                    retire_missing=request.POST.get("retire_missing") == "1",
                )
            except (ValidationError, services.StateConflict) as exc:
                _form_errors(change_form, exc)
            else:
                messages.success(request, _("The new task list is sent to the committee."))
                return redirect(change)
    elif request.method == "POST":
        try:
            run = imports.import_confirm(
                actor=request.user,
                pending_id=pending.pk,
                retire_missing=request.POST.get("retire_missing") == "1",
            )
        except ValidationError as exc:
            _report(request, exc)
            return redirect("plans:import_preview", pending.pk)
        if run.status != run.Status.DONE:
            # Under way as a job, or failed: the run's page shows its progress or why.
            return redirect("engine:import_run", pk=run.pk)
        messages.success(
            request,
            _(
                "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(skipped)s bad rows skipped, %(retired)s retired."
            )
            % {
                "created": run.created,
                "updated": run.updated,
                "unchanged": run.unchanged,
                **run.result,
            },
        )
        return redirect("plans:task_list")
    names_form = forms.ImportNamesForm(unmatched=pending.unmatched)
    return _render_preview(request, pending, names_form, change_form)


def _change_form_for(pending):
    in_force = pending.plan.state == services.ItemState.IN_FORCE
    return forms.TaskChangeForm() if in_force else None


def _render_preview(request, pending, names_form, change_form=None):
    changes = imports.import_plan(pending)
    bad_rows = [
        *pending.bad_rows,
        *(
            {"row": r["row"], "title": r["title"][:80], "problems": [r["problem"]]}
            for r in pending.rows
            if r.get("problem")
        ),
    ]
    # A page of the rows at a time: a 10,000-row table is not one page's worth to render.
    rows = [r for r in pending.rows if changes.actions.get(r["row"]) != "skipped"]
    page = Paginator(rows, PREVIEW_PAGE_ROWS).get_page(request.GET.get("page"))
    page.object_list = [{**r, "action": changes.actions.get(r["row"])} for r in page.object_list]
    return render(
        request,
        "plans/import_preview.html",
        {
            "pending": pending,
            "counts": changes.counts,
            "rows": page.object_list,
            "page": page,
            "bad_rows": sorted(bad_rows, key=lambda b: b["row"]),
            "names_form": names_form,
            "change_form": change_form,
        },
    )


@login_required
@require_POST
def import_map_names(request, pk):
    pending = get_object_or_404(PendingImport, pk=pk, owner=request.user, confirmed_at__isnull=True)
    form = forms.ImportNamesForm(request.POST, unmatched=pending.unmatched)
    if form.is_valid():
        try:
            imports.import_map_names(
                actor=request.user,
                pending_id=pending.pk,
                units=form.unit_targets,
                people=form.person_targets,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The names are mapped; the rows were matched again."))
            return redirect("plans:import_preview", pending.pk)
    return _render_preview(request, pending, form, _change_form_for(pending))


@login_required
def export(request, what, fmt):
    access.require(request.user, PlanCap.VIEW)
    if what not in exports.BUILDERS or fmt not in ("xlsx", "docx"):
        raise Http404
    data, filename, content_type = exports.build(request.user, what, fmt)
    return documents.download(data, filename, content_type)


@login_required
@require_POST
def export_start(request):
    access.require(request.user, PlanCap.VIEW)
    what, fmt = request.POST.get("what"), request.POST.get("fmt")
    if what not in exports.BUILDERS or fmt not in ("xlsx", "docx"):
        raise Http404
    job = ExportJob.objects.create(owner=request.user, what=what, fmt=fmt)
    transaction.on_commit(lambda: run_export.delay(job.pk))
    return redirect("plans:export_job", job.pk)


@login_required
def export_job(request, pk):
    job = get_object_or_404(ExportJob, pk=pk, owner=request.user)
    return render(request, "plans/export_job.html", {"job": job})


@login_required
def export_download(request, pk):
    job = get_object_or_404(ExportJob, pk=pk, owner=request.user, state=ExportJob.State.DONE)
    return documents.download_file(job.file.open("rb"), job.filename)


# ---- the flows' task views (viewflow `ServiceStep` nodes) --------------------------------------


@login_required
def flow_task(request, process_pk, task_pk):
    """The address of one open step of an approval process: the node's own view runs here.

    404 unless the user may see the subject; 403 when they see it but the step is not theirs. The
    node view ends in the same service call as the item and change pages, and that service
    completes this task.
    """
    task = get_object_or_404(
        flows.Task.objects.select_related("process"), pk=task_pk, process_id=process_pk
    )
    if task.process.flow_class not in flows.FLOWS or not isinstance(
        task.flow_task, flows.ServiceStep
    ):
        raise Http404
    subject = flows.subject_of(task.process)
    item = subject.item if isinstance(subject, ChangeRequest) else subject
    if item is None:
        raise Http404
    # a deputy (代理) sees the absent member's step in their inbox: a vote stays the member's
    # own, so the deputy reads what is decided here and does not vote (engine.delegation)
    absent = (
        None if task.flow_task.can_execute(request.user, task) else acting_for(request.user, task)
    )
    if not can_view(request.user, item) and absent is None:
        raise Http404
    back = subject.get_absolute_url()
    if task.status not in flows.OPEN:
        messages.info(request, _("This step is already done."))
        return redirect(back)
    if absent is not None and absent.pk != request.user.pk:
        return _step_page(request, subject, task, None, on_behalf=absent)
    if not task.flow_task.can_execute(request.user, task):
        raise PermissionDenied
    request.activation = task.flow_task.activation_class(task)
    return task.flow_task.view(request, subject=subject, task=task)


def _step_page(request, subject, task, decide, on_behalf=None):
    form = forms.CommentForm(request.POST or None)
    if on_behalf is not None and request.method == "POST":
        raise PermissionDenied
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            message = decide(approve, request.POST.get("comment", ""))
        except (ValidationError, services.StateConflict) as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(subject)
    context = {
        "task": task,
        "subject": subject,
        "form": form,
        "step": task.flow_task.step,
        "on_behalf": on_behalf,
    }
    if isinstance(subject, ChangeRequest):
        # the vote page shows what changes (the change page's table), not only a link to it
        context |= {
            "change": subject,
            "rows": services.change_rows(subject),
            "effect": selectors.effect_rows(subject.effect),
        }
    return render(request, "plans/flow_task.html", context)


def flow_review(request, *, subject, task):
    def decide(approve, comment):
        services.item_review(actor=request.user, item=subject, approve=approve, comment=comment)
        return _("Passed to the committee.") if approve else _("Returned with comments.")

    return _step_page(request, subject, task, decide)


def flow_vote(request, *, subject, task):
    def decide(approve, comment):
        decision = services.committee_vote(
            actor=request.user, subject=subject, approve=approve, comment=comment
        )
        return _("Your vote is recorded.") if decision is None else _("The committee decided.")

    return _step_page(request, subject, task, decide)
