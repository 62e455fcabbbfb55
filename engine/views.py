from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import attachments, selectors
from .models import Attachment, Notification


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "engine/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    updated = Notification.objects.filter(
        pk=pk, recipient=request.user, read_at__isnull=True
    ).update(read_at=timezone.now())
    notification = Notification.objects.filter(pk=pk, recipient=request.user).first()
    if notification is None:
        raise Http404
    if updated and notification.url and request.POST.get("follow"):
        return redirect(notification.url)
    return redirect("engine:notification_list")


@login_required
@require_POST
def notification_read_all(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("engine:notification_list")


@login_required
def attachment_download(request, pk):
    attachment = Attachment.objects.select_related("content_type").filter(pk=pk).first()
    if attachment is None or not attachments.can_download(request.user, attachment):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name
    )
    response["Content-Type"] = attachment.mime
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def inbox(request):
    return render(
        request,
        "engine/inbox.html",
        {
            "items": selectors.inbox_items(request.user),
            "tasks": selectors.inbox_tasks(request.user),
        },
    )
