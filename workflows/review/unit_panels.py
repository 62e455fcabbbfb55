from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.unit_panels import Panel

from . import selectors


def sanction_panel(user, unit) -> list[Panel]:
    flags = list(selectors.sanction_flags_for(user).filter(org_unit=unit))
    if not flags:
        return []
    lines = [
        _("%(reason)s (review round %(round)s, flagged %(date)s)")
        % {
            "reason": flag.get_reason_display(),
            "round": flag.conclusion.round,
            "date": flag.created_at.strftime("%Y-%m-%d"),
        }
        for flag in flags
    ]
    return [
        Panel(
            title=_("Flagged for sanctions"),
            lines=lines,
            url=reverse("review:unit_status", args=[unit.pk]),
            alert=True,
        )
    ]
