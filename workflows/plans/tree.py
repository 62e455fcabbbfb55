"""The chain tree page's tree (plans, their targets with standards, their tasks), rendered in
one pass.

At 5,000 tasks the template's per-row work (a reverse(), a translation, a date format and a dozen
variable lookups for each row) was most of the page's time. Here every row is one string format
of escaped values; the URLs and labels are worked out once per page, a category's label and a
task's unit, person and deadline once per distinct value. Escaping is the standard library's
html.escape, which Django's escape() wraps (the same text, without a lazy-string check and a
SafeString per value), skipped for the text that has nothing to escape (most titles). The markup
is what templates/plans/index.html used to loop over.
"""

import html
import re

from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from engine.templatetags.labels import label_suffix

from .models import Plan, Target

_PK = 918273645  # a placeholder pk, replaced by each row's own
_SPECIAL = re.compile("[&<>\"']")


def escape(text: str) -> str:
    return html.escape(text) if _SPECIAL.search(text) else text


def escape_all(texts: list[str]) -> list[str]:
    """escape() over many texts in one pass of the joined text (a NUL never occurs in form
    input: Django's text fields refuse it; should one, each is escaped alone)."""
    joined = "\0".join(texts)
    if not _SPECIAL.search(joined):
        return texts
    escaped = html.escape(joined).split("\0")
    return escaped if len(escaped) == len(texts) else [escape(t) for t in texts]


def _url_format(name: str, *args) -> str:
    """reverse() once, escaped for HTML, as a format string taking the pk: the same text as
    `{{ item.get_absolute_url }}` per row."""
    url = escape(reverse(name, args=[*args, _PK]))
    return url.replace("%", "%%").replace(str(_PK), "%d")


def render_tree(nodes: list[dict]) -> str:
    """The tree's markup (a safe string) for the flattened nodes of `selectors.chain_tree`."""
    plan_url = _url_format("plans:item_detail", "plan")
    tier = gettext("tier %(t)s")
    states = {
        value: escape(str(label)) for value, label in Plan._meta.get_field("state").flatchoices
    }
    render_rows(nodes)
    parts = ['<ul class="tree card" id="chain-tree">']
    for n in nodes:
        plan = n["plan"]
        who = escape(plan.unit_name)
        if plan.owner_name is not None:
            who += " · " + escape(plan.owner_name)
        parts.append(
            f'\n  <li class="indent-{n["depth"]}">\n    <strong><a href="{plan_url % plan.pk}">'
            f"{escape(plan.title)}</a></strong>\n"
            f'    <span class="badge">{escape(tier % {"t": plan.tier})}</span>\n'
            f'    <span class="badge">{states.get(plan.state) or escape(plan.state)}</span>\n'
            f'    <span class="muted">{escape(plan.period_label)} · {who}</span>\n    '
        )
        if n["targets"]:
            parts.append(f"<ul>{n['targets_html']}</ul>")
        if n["tasks"]:
            parts.append(f"<ul>{n['tasks_html']}</ul>")
        parts.append("\n  </li>")
    parts.append("\n</ul>")
    # Safe: every text went through escape(), the URLs are reverse()'s with an int pk.
    return mark_safe("".join(parts))  # noqa: S308


def render_rows(nodes: list[dict]) -> None:
    """Add `targets_html` and `tasks_html` (safe strings) to each node of `selectors.chain_tree`."""
    target_url = _url_format("plans:item_detail", "target")
    standard_url = _url_format("plans:item_detail", "standard")
    task_url = _url_format("plans:task_detail")
    target_label = escape(gettext("Target"))
    standard_label = escape(gettext("Standard"))
    task_label = escape(gettext("Task"))
    colon = escape(label_suffix())
    categories = {
        value: escape(str(label)) for value, label in Target._meta.get_field("category").flatchoices
    }
    mutes: dict = {}

    for n in nodes:
        parts = []
        for pk, title, category, standards in n["targets"]:
            if category not in categories:
                categories[category] = escape(category)
            parts.append(
                f'\n      <li>{target_label}{colon}<a href="{target_url % pk}">{escape(title)}</a> '
                f'<span class="badge">{categories[category]}</span>\n        '
            )
            if standards:
                parts.append("<ul>")
                for s_pk, s_title in standards:
                    parts.append(
                        f'<li>{standard_label}{colon}<a href="{standard_url % s_pk}">'
                        f"{escape(s_title)}</a></li>"
                    )
                parts.append("</ul>")
            parts.append("\n      </li>")
        # Safe: every text above went through escape(), the URLs are reverse()'s with an int pk.
        n["targets_html"] = mark_safe("".join(parts))  # noqa: S308
        parts = []
        tasks = n["tasks"]
        for row, title in zip(tasks, escape_all([row[2] for row in tasks]), strict=True):
            key = row[3:]  # unit, unit name, person's names, deadline: few distinct ones
            muted = mutes.get(key)
            if muted is None:
                unit, unit_name, full_name, username, deadline = key
                muted = escape(unit or unit_name or "")
                if username is not None:
                    muted += " → " + escape(full_name or username)
                if deadline:
                    muted += " · " + escape(localize(deadline))
                mutes[key] = muted
            parts.append(
                f'\n      <li>{task_label}{colon}<a href="{task_url % row[0]}">'
                f'{title}</a>\n        <span class="muted">{muted}</span></li>'
            )
        n["tasks_html"] = mark_safe("".join(parts))  # noqa: S308 (escaped as the targets)
