"""Reads shared by every flow: the one task inbox."""

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS


def inbox_tasks(user):
    """Tasks assigned to the user across every flow, oldest first."""
    if not (user.is_authenticated and user.is_active):
        return Task.objects.none()
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED)
        .select_related("process")
        .order_by("created")
    )
