"""A confidential report (举报) as a step table: every step is the discipline office's.

Spam leaves the office's queue, so a report marked as spam waits for no step (and gets its
process back when the office takes the mark off)."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from engine import steps

from .models import Report, Status


def _office(report):
    return steps.office_seat(Role.DISCIPLINE_OFFICER)


def _not_spam(report):
    return not report.is_spam


def _step(state, name, title):
    return steps.Step(state=state, name=name, title=title, who=_office, when=_not_spam)


class ReportFlow(steps.StepFlow):
    table = steps.StepTable(
        model=Report,
        state_field="status",
        process_title=_("Confidential report (举报)"),
        summary=lambda report: f"{report.number} {report.get_subject_display()}",
        unit=lambda report: None,
        outcomes={
            **dict(Status.choices),
            "spam": _("Marked as spam"),
            "not_spam": _("Spam mark removed"),
        },
        steps=[
            _step(Status.RECEIVED, "start_check", _("Start the preliminary check (初核)")),
            _step(Status.PRELIMINARY_CHECK, "decide_filing", _("File or decline the report")),
            _step(Status.FILED, "investigate", _("Start the investigation")),
            _step(Status.INVESTIGATION, "conclude", _("Record the conclusion")),
            _step(Status.CONCLUSION, "handle", _("Record the handling")),
            _step(Status.HANDLING, "answer", _("Answer the reporter")),
            _step(Status.NOT_FILED, "answer_declined", _("Answer the reporter")),
            _step(Status.ANSWERED, "close", _("Close the report")),
        ],
    )
