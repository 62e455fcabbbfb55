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
