"""Reads of surveys: progress counts, results above the fewest-answers line, a person's
questionnaires to answer. Nothing here reads who answered what: there is no such link."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from .models import (
    Answer,
    Eligibility,
    Group,
    GroupResult,
    Question,
    QuestionKind,
    Response,
    Status,
    Survey,
)


def pending_for(user):
    """The groups (open surveys) where the user still holds an unspent right to answer."""
    return (
        Group.objects.filter(eligibilities__user=user, survey__status=Status.OPEN)
        .select_related("survey", "section", "teacher")
        .order_by("survey__closes_on", "label")
    )


def response_counts(groups) -> dict[int, int]:
    return dict(
        Response.objects.filter(group__in=groups)
        .values_list("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )


def progress(survey: Survey, groups=None) -> dict:
    """Response rates per unit (the course of a section, the unit of students): eligible and
    answered counts only; never who."""
    groups = survey.groups.all() if groups is None else groups
    answered = dict(
        Response.objects.filter(group__in=groups)
        .values_list("group__unit_id")
        .annotate(n=Count("id"))
        .values_list("group__unit_id", "n")
    )
    rows = []
    for row in (
        groups.values("unit_id", "unit__name")
        .annotate(eligible=Sum("eligible"), groups=Count("id"))
        .order_by("unit__name")
    ):
        n = answered.get(row["unit_id"], 0)
        rows.append(
            {
                "unit": row["unit__name"],
                "groups": row["groups"],
                "eligible": row["eligible"] or 0,
                "answered": n,
                "rate": round(100 * n / row["eligible"], 1) if row["eligible"] else None,
            }
        )
    eligible = sum(r["eligible"] for r in rows)
    answered_total = sum(r["answered"] for r in rows)
    return {
        "rows": rows,
        "eligible": eligible,
        "answered": answered_total,
        "rate": round(100 * answered_total / eligible, 1) if eligible else None,
    }


@dataclass
class GroupView:
    group: Group
    responses: int
    shown: bool
    results: list = field(default_factory=list)  # (question, GroupResult)
    comments: dict = field(default_factory=dict)  # question -> [text]


def questions_of(survey: Survey) -> list[Question]:
    return list(
        Question.objects.filter(section__questionnaire_id=survey.questionnaire_id).select_related(
            "section", "indicator"
        )
    )


def _above_floor(result: GroupResult | None, survey: Survey) -> GroupResult | None:
    return result if result is not None and result.answers >= survey.results_floor else None


def group_views(survey: Survey, groups, *, comments: bool = False) -> list[GroupView]:
    """Results of each group; a group under the survey's fewest-answers line shows nothing."""
    groups = list(groups.select_related("section", "teacher", "unit"))
    counts = response_counts([g.pk for g in groups])
    questions = [q for q in questions_of(survey) if q.kind != QuestionKind.MULTIPLE]
    by_q = {q.pk: q for q in questions}
    results: dict[int, dict[int, GroupResult]] = {}
    for r in GroupResult.objects.filter(group__in=[g.pk for g in groups]):
        results.setdefault(r.group_id, {})[r.question_id] = r
    views = []
    for g in groups:
        n = counts.get(g.pk, 0)
        shown = survey.status == Status.CLOSED and n >= survey.results_floor
        view = GroupView(group=g, responses=n, shown=shown)
        if shown:
            # an optional question answered by fewer than the floor shows no figure either
            view.results = [
                (q, _above_floor(results.get(g.pk, {}).get(q.pk), survey))
                for q in questions
                if q.kind != QuestionKind.TEXT
            ]
            if comments:
                texts = (
                    Answer.objects.filter(response__group=g, question__kind=QuestionKind.TEXT)
                    .exclude(text="")
                    .order_by("id")  # random keys: no order of answering survives
                    .values_list("question_id", "text")
                )
                for qid, text in texts:
                    view.comments.setdefault(by_q[qid], []).append(text)
        views.append(view)
    return views


def teacher_groups(user):
    return (
        Group.objects.filter(teacher=user, survey__status=Status.CLOSED)
        .select_related("survey", "section", "unit")
        .order_by("-survey__closed_at", "label")
    )


def unspent_total(survey: Survey) -> int:
    return Eligibility.objects.filter(group__survey=survey).count()


def batch_names(codes) -> dict[str, str]:
    """A survey's readings batch by the survey's title (the approvals page names it so)."""
    return dict(
        Survey.objects.filter(readings_batch__in=[c for c in codes if c]).values_list(
            "readings_batch", "title"
        )
    )
