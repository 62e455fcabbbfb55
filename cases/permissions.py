"""The capabilities of the cases feature and the roles that hold them (registered in ready())."""

from enum import StrEnum

from accounts.models import Role as R


class CaseCap(StrEnum):
    FILE = "case.file"  # file a complaint
    REPORT = "case.report"  # file an incident report from inspection / class observation
    RAISE = "case.raise"  # raise a case from a warning or from self-inspection
    ACCEPT = "case.accept"  # department quality group: accept the department's cases
    ACCEPT_COLLEGE = "case.accept_college"  # quality office: accept college cases, reopen
    VIEW_ALL = "case.view_all"  # every non-confidential case
    RECTIFY = "case.rectify"  # act for the responsible unit
    COMMITTEE = "case.committee"  # severe cases: approve determinations, dashboard
    OVERSEE = "case.oversee"  # discipline office: every complaint, read-only
    DASHBOARD = "case.dashboard"


_EVERYONE = {CaseCap.FILE}
CAPABILITIES = {
    R.COMMITTEE_CHAIR: _EVERYONE | {CaseCap.COMMITTEE, CaseCap.DASHBOARD, CaseCap.REPORT},
    R.COMMITTEE_MEMBER: _EVERYONE | {CaseCap.COMMITTEE, CaseCap.DASHBOARD},
    R.QUALITY_OFFICER: _EVERYONE
    | {
        CaseCap.REPORT,
        CaseCap.RAISE,
        CaseCap.ACCEPT_COLLEGE,
        CaseCap.VIEW_ALL,
        CaseCap.DASHBOARD,
    },
    R.DEPARTMENT_LEADER: _EVERYONE
    | {CaseCap.REPORT, CaseCap.RAISE, CaseCap.ACCEPT, CaseCap.RECTIFY},
    R.DEPARTMENT_MEMBER: _EVERYONE | {CaseCap.RAISE, CaseCap.ACCEPT, CaseCap.RECTIFY},
    R.TEAM_LEADER: _EVERYONE | {CaseCap.RAISE, CaseCap.RECTIFY},
    R.TEAM_MEMBER: _EVERYONE,
    R.SUPERVISOR: _EVERYONE | {CaseCap.REPORT},
    R.DISCIPLINE_OFFICER: _EVERYONE | {CaseCap.OVERSEE},
    R.TEACHER: _EVERYONE,
    R.STUDENT: _EVERYONE,
    R.SYSTEM_ADMIN: _EVERYONE,
}
