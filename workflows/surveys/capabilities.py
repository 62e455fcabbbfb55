"""Who may do what with surveys. Registered with accounts.access from ready().

Answering is not a capability of a role but of an eligibility row: a student answers the
questionnaires they hold an unspent token for, a graduate or employer the one their invitation
code opens. ANSWER only decides who sees the "my questionnaires" page."""

from accounts.models import Role as R

MANAGE = "surveys.manage"  # questionnaires, distribution, reminders, close (the quality office)
VIEW_RESULTS = "surveys.results"  # results of the groups in scope (N or more answers only)
ANSWER = "surveys.answer"  # the "my questionnaires" page
TEACH = "surveys.teach"  # a teacher's own results

ROLE_GRANTS = {
    R.QUALITY_OFFICER: {MANAGE, VIEW_RESULTS},
    R.COMMITTEE_CHAIR: {VIEW_RESULTS},
    R.COMMITTEE_MEMBER: {VIEW_RESULTS},
    R.DEPARTMENT_LEADER: {VIEW_RESULTS},
    R.TEAM_LEADER: {VIEW_RESULTS, TEACH},
    R.TEACHER: {TEACH},
    R.STUDENT: {ANSWER},
}
