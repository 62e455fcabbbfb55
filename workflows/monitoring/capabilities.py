"""Who may do what in monitoring. Names are registered with accounts.access from ready()."""

from accounts.models import Role as R

VIEW = "monitoring.view"  # see the monitoring data of units in scope
READING_ENTER = "monitoring.reading.enter"  # a data owner enters readings for their unit
READING_APPROVE = "monitoring.reading.approve"  # the owner unit's head approves them
CONFIGURE = "monitoring.configure"  # indicators, thresholds, evidence gates, periods
RESPOND = "monitoring.respond"  # acknowledge warnings, keep the unit's ledger
SIGN_OFF = "monitoring.signoff"  # sign off the effectiveness of an improvement
CYCLE_RUN = "monitoring.cycle.run"  # run a major's / course's / department's cycle
SCHOOL_CYCLE_RUN = "monitoring.cycle.run_school"  # run the college's own cycle
# Student-level subjects only (a class adviser's students): see, acknowledge, keep the ledger.
STUDENT_VIEW = "monitoring.student.view"
STUDENT_RESPOND = "monitoring.student.respond"

_UNIT_STAFF = {VIEW, RESPOND, CYCLE_RUN, READING_ENTER}
ROLE_GRANTS = {
    R.COMMITTEE_CHAIR: {VIEW},
    R.COMMITTEE_MEMBER: {VIEW},
    R.SUPERVISOR: {VIEW},
    R.QUALITY_OFFICER: {VIEW, CONFIGURE, SIGN_OFF, SCHOOL_CYCLE_RUN, READING_ENTER},
    R.DEPARTMENT_LEADER: _UNIT_STAFF | {READING_APPROVE, SIGN_OFF},
    R.DEPARTMENT_MEMBER: _UNIT_STAFF,
    R.TEAM_LEADER: _UNIT_STAFF,
    R.TEAM_MEMBER: _UNIT_STAFF,
    R.CLASS_ADVISER: {STUDENT_VIEW, STUDENT_RESPOND},
}
