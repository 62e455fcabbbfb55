from django import template

from engine import delegation, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current page's query string with another page number: filters survive paging."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.inclusion_tag("engine/progress.html", takes_context=True)
def progress_line(context, obj):
    """The object's progress line: done steps, who must act now and by when, what comes after."""
    user = context["request"].user
    line = selectors.progress(obj, user)
    if line is not None:
        for step in line.current:
            step.may_reassign = delegation.may_reassign(user, step.task)
    return {"progress": line}
