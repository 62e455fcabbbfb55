from contextlib import nullcontext

from django import template

from accounts import access
from workflows.monitoring import access_rules, selectors
from workflows.monitoring import capabilities as caps

register = template.Library()


@register.inclusion_tag("monitoring/_nav.html", takes_context=True)
def monitoring_nav(context):
    """The monitoring sub-navigation, showing only what this person may open."""
    user = context["request"].user
    return {
        "can_view": access_rules.can_view_any(user),
        "can_enter": selectors.indicators_enterable(user).exists(),
        "can_approve": access.can(user, caps.READING_APPROVE),
        "can_configure": access.can(user, caps.CONFIGURE),
    }


@register.inclusion_tag("monitoring/_cycle_decisions.html", takes_context=True)
def cycle_decisions(context, cycle, links, stage):
    """A large-loop stage's decisions on the cycle page (rewards, training, measures adopted),
    with the form to propose one and the decide buttons for whoever the kind names."""
    from engine import duties, steps
    from workflows.monitoring import decisions

    user = context["request"].user
    rows = [d for d in links.get("decisions", []) if d.stage == stage]
    if any(d.status == "proposed" for d in rows):
        rules = duties.rules_for(decisions.PROCESS, "decide")
        # seats are remembered per process (engine.memo)
        with nullcontext():
            for d in rows:
                d.cycle = cycle
                seat = decisions.decider_seat(d) if d.status == "proposed" else None
                d.can_decide = (
                    seat is not None
                    and steps.holds(user, seat.permission, seat.unit.pk)
                    and duties.refusal(
                        process_key=decisions.PROCESS,
                        step="decide",
                        actor=user,
                        obj=d,
                        rules=rules,
                    )
                    is None
                )
    kinds = []
    if decisions.can_propose(user, cycle):
        kinds = list(decisions.kinds_for(cycle).filter(stage=stage))
    return {
        "cycle": cycle,
        "stage": stage,
        "decisions": rows,
        "kinds": kinds,
        "csrf_token": context.get("csrf_token"),
    }
