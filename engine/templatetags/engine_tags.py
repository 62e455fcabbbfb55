from urllib.parse import urlencode

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from accounts import access
from engine import delegation, pdf, selectors

register = template.Library()


@register.filter
def holds(user, caps: str) -> bool:
    """Does `user` hold any of the comma-separated capabilities anywhere? A page offers a link
    only to those its target lets in (`{% if user|holds:"plans.edit" %}`), as the navigation
    does, not a link that answers 403."""
    return any(access.has_capability(user, cap) for cap in caps.split(","))


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
            step.may_reassign = delegation.offers_reassign(user, step.task)
    return {"progress": line}


@register.simple_tag
def pdf_link(href, **query):
    """A PDF link beside a Word download (engine.pdf), where the server can make PDFs; `query`:
    the download's own parameters (empty ones left out)."""
    if not pdf.available():
        return ""
    params = {k: v for k, v in query.items() if v not in (None, "")}
    params["format"] = "pdf"
    joiner = "&" if "?" in href else "?"
    return format_html(
        ' · <a href="{}{}{}" class="pdf-link">{}</a>',
        href,
        joiner,
        urlencode(params),
        _("PDF for the archive"),
    )
