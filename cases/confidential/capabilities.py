"""What the discipline office may do with reports (举报), and the messages it receives.

Only the discipline office holds these: everybody else reaches one report only through a grant on
that report (guardian `view_report`), which never shows who reported."""

from django.utils.translation import gettext_lazy as _

REPORT_VIEW = "report.view"  # see the confidential queue and every report in it
REPORT_HANDLE = "report.handle"  # move a report through its stages, see the reporter
REPORT_GRANT = "report.grant"  # let one more person read one report

OFFICE = {REPORT_VIEW, REPORT_HANDLE, REPORT_GRANT}

# The per-report permission granted to an extra reader (a committee member for one item).
OBJECT_VIEW = "view_report"

# Titles and bodies carry the report's number only: never its content or who filed it.
NOTIFICATIONS = {
    "report.received": (
        _("New confidential report"),
        _("New confidential report {{ obj.number }}"),
        _("A report was filed: {{ url }}"),
    ),
    "report.information": (
        _("Information added to a report"),
        _("New information on report {{ obj.number }}"),
        _("The reporter added information: {{ url }}"),
    ),
    "report.shared": (
        _("A report was shared with you"),
        _("Report {{ obj.number }} was shared with you"),
        _("The discipline office asks you to read report {{ obj.number }}: {{ url }}"),
    ),
    "report.case_finished": (
        _("A case opened from a report ended"),
        _("Case {{ case.number }} (report {{ obj.number }}): {{ case.status }}"),
        _(
            "The quality case {{ case.number }} opened from report {{ obj.number }} is now: "
            "{{ case.status }}.{% if case.reason %} Reason: {{ case.reason }}{% endif %} {{ url }}"
        ),
    ),
    "report.answered": (
        _("Your report was answered"),
        _("Your report {{ obj.number }} has an answer"),
        _("Read the answer: {{ url }}"),
    ),
}
# whom each kind can reach (the notification settings list only those): the office's own, and
# anyone for the others (anyone may file a report, or be asked to read one)
AUDIENCE = {
    "report.received": (REPORT_VIEW,),
    "report.information": (REPORT_VIEW,),
    "report.case_finished": (REPORT_VIEW,),
    "report.shared": None,
    "report.answered": None,
}
