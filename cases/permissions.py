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
    COMMITTEE = "case.committee"  # severe cases: vote on determinations, dashboard
    CHAIR = "case.chair"  # the chair's vote, when the committee's rule asks for its sign-off
    OVERSEE = "case.oversee"  # discipline office: every complaint, read-only
    DASHBOARD = "case.dashboard"
    INVESTIGATE = "case.investigate"  # may be named an investigator: the college's staff


_EVERYONE = {CaseCap.FILE}
_STAFF = _EVERYONE | {CaseCap.INVESTIGATE}
CAPABILITIES = {
    R.COMMITTEE_CHAIR: _STAFF
    | {CaseCap.COMMITTEE, CaseCap.CHAIR, CaseCap.DASHBOARD, CaseCap.REPORT},
    R.COMMITTEE_MEMBER: _STAFF | {CaseCap.COMMITTEE, CaseCap.DASHBOARD},
    R.QUALITY_OFFICER: _STAFF
    | {
        CaseCap.REPORT,
        CaseCap.RAISE,
        CaseCap.ACCEPT_COLLEGE,
        CaseCap.VIEW_ALL,
        CaseCap.DASHBOARD,
    },
    R.DEPARTMENT_LEADER: _STAFF | {CaseCap.REPORT, CaseCap.RAISE, CaseCap.ACCEPT, CaseCap.RECTIFY},
    R.DEPARTMENT_MEMBER: _STAFF | {CaseCap.RAISE, CaseCap.ACCEPT, CaseCap.RECTIFY},
    R.TEAM_LEADER: _STAFF | {CaseCap.RAISE, CaseCap.RECTIFY},
    R.TEAM_MEMBER: _STAFF,
    R.SUPERVISOR: _STAFF | {CaseCap.REPORT},
    R.DISCIPLINE_OFFICER: _STAFF | {CaseCap.OVERSEE},
    R.TEACHER: _STAFF,
    R.STUDENT: _EVERYONE,
    # maintains the system: investigates a case only through a role held besides (a teacher)
    R.SYSTEM_ADMIN: _EVERYONE,
}
