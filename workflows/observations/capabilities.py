"""Who may do what with class observations (registered with accounts.access from ready())."""

from django.utils.translation import gettext_lazy as _

from accounts import access, navigation
from accounts.models import Role as R

OBSERVE = "observations.observe"  # fill an observation for a course in scope
VIEW = "observations.view"  # read the observations of courses in scope
MANAGE = "observations.manage"  # forms, quotas, who is behind (the quality office)
RECEIVE = "observations.receive"  # a teacher: the observations of their own lessons

TABLE = {
    R.SUPERVISOR: {OBSERVE},
    R.COMMITTEE_CHAIR: {OBSERVE, VIEW},
    R.COMMITTEE_MEMBER: {VIEW},
    R.QUALITY_OFFICER: {OBSERVE, VIEW, MANAGE},
    R.DEPARTMENT_LEADER: {OBSERVE, VIEW},
    R.TEACHER: {RECEIVE},
}


def register():
    access.grant_capabilities(TABLE)
    for item in (
        navigation.NavItem(
            _("Class observations"), "observations:mine", OBSERVE, navigation.Group.MONITORING
        ),
        navigation.NavItem(
            _("Observations in my units"), "observations:scope", VIEW, navigation.Group.MONITORING
        ),
        navigation.NavItem(
            _("Observation duties"), "observations:office", MANAGE, navigation.Group.MONITORING
        ),
        navigation.NavItem(
            _("Observations of my lessons"),
            "observations:about_me",
            RECEIVE,
            navigation.Group.MONITORING,
        ),
    ):
        navigation.register(item)
