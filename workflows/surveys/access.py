"""Surveys' questions to the access layer: 404 (may not see) versus 403 (may not act).

The quality office manages surveys of the units in its scope (college-wide). Results are seen
through the unit of each group (VIEW_RESULTS in its subtree) or, for a teacher, their own
course sections. Answering is decided by the person's own eligibility row, not by a role."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts import access

from . import capabilities as caps
from .models import Group, Survey


def visible_surveys(user):
    if not access.is_active_user(user):
        return Survey.objects.none()
    parts = []
    for cap in (caps.MANAGE, caps.VIEW_RESULTS):
        if access.has_capability(user, cap):
            parts.append(access.unit_filter(user, cap, prefix="unit__"))
            # a department leader also sees the surveys that reach their units' groups
            parts.append(Q(groups__unit__in=access.visible_units(user, cap)))
    if not parts:
        return Survey.objects.none()
    q = parts[0]
    for part in parts[1:]:
        q |= part
    return Survey.objects.filter(q).distinct()


def get_survey(user, pk, cap: str | None = None) -> Survey:
    survey = get_object_or_404(Survey, pk=pk)
    if not visible_surveys(user).filter(pk=survey.pk).exists():
        raise Http404
    if cap is not None and not access.can(user, cap, survey):
        raise PermissionDenied
    return survey


def result_groups(user, survey: Survey):
    """The groups of a survey whose results the user may read (the N rule applies on top)."""
    groups = survey.groups.all()
    if access.can(user, caps.MANAGE, survey):
        return groups
    return groups.filter(access.unit_filter(user, caps.VIEW_RESULTS, prefix="unit__"))


def can_manage(user, survey: Survey) -> bool:
    return access.can(user, caps.MANAGE, survey)


def get_own_group(user, pk) -> Group:
    """A teacher's own course section of a closed survey."""
    group = get_object_or_404(Group.objects.select_related("survey", "section"), pk=pk)
    if group.teacher_id != getattr(user, "pk", None) or not access.is_active_user(user):
        raise Http404
    return group
