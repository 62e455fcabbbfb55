from django import template

from accounts import access
from workflows.monitoring import capabilities as caps
from workflows.monitoring import selectors

register = template.Library()


@register.inclusion_tag("monitoring/_nav.html", takes_context=True)
def monitoring_nav(context):
    """The monitoring sub-navigation, showing only what this person may open."""
    user = context["request"].user
    return {
        "can_view": access.can(user, caps.VIEW),
        "can_enter": selectors.indicators_enterable(user).exists(),
        "can_approve": access.can(user, caps.READING_APPROVE),
    }
