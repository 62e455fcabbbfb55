"""Plans test helpers: build chain items through the services, in any lifecycle state."""

from workflows.levels import Level
from workflows.plans import services
from workflows.plans.models import PlanKind


def draft_plan(
    cast,
    *,
    title="学院“十五五”发展规划纲要",
    kind=PlanKind.GENERAL,
    parent=None,
    unit=None,
    start=2026,
    end=2030,
    actor=None,
    level=Level.SCHOOL,
):
    return services.plan_create(
        actor=actor or cast.quality_officer,
        owner_unit=unit or cast.units.college,
        level=level,
        content={
            "title": title,
            "kind": kind,
            "parent": parent.pk if parent else None,
            "start_year": start,
            "end_year": end,
            "summary": "",
        },
    )


def approve(cast, item):
    """Take a draft through submit → review → committee approval."""
    reviewer = cast.quality_officer
    services.item_submit(actor=cast.quality_officer, item=item)
    services.item_review(actor=reviewer, item=item, approve=True)
    # a majority of the two members: both approve
    services.committee_vote(actor=cast.chair, subject=item, approve=True)
    services.committee_vote(actor=cast.committee_member, subject=item, approve=True)
    return type(item).objects.get(pk=item.pk)


def in_force_plan(cast, **kwargs):
    return approve(cast, draft_plan(cast, **kwargs))


def draft_target(
    cast,
    plan,
    *,
    title="在校生规模",
    category="school_scale",
    values=None,
    indicator="全日制在校生数",
    unit_of_measure="人",
    baseline="8000",
):
    return services.target_create(
        actor=cast.quality_officer,
        plan=plan,
        content={
            "title": title,
            "category": category,
            "description": "",
            "indicator": indicator,
            "unit_of_measure": unit_of_measure,
            "baseline": baseline,
            "values": values if values is not None else {"2026": "8500", "2027": "9000"},
        },
    )


def draft_standard(cast, targets, *, title="普通高等学校基本办学条件指标", level=Level.SCHOOL):
    return services.standard_create(
        actor=cast.quality_officer,
        owner_unit=cast.units.college,
        level=level,
        content={
            "title": title,
            "text": "生师比不高于18:1",
            "reference": "",
            "targets": [t.pk for t in targets],
        },
    )
