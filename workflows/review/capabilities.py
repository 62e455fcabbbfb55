"""Capabilities of the review feature, granted to roles through accounts.access."""

from django.utils.translation import gettext_lazy as _

from accounts import access, navigation
from accounts.models import Role as R

REPORT_VIEW = "review.report.view"
REPORT_EDIT = "review.report.edit"
REPORT_APPROVE = "review.report.approve"
REPORT_PUBLISH = "review.report.publish"
ROUND_MANAGE = "review.round.manage"
CONCLUSION_VIEW = "review.conclusion.view"
CONCLUSION_SIGN = "review.conclusion.sign"
SANCTION_PROPOSE = "review.sanction.propose"
SANCTION_APPROVE = "review.sanction.approve"
ANNUAL_BUILD = "review.annual.build"
CATALOGUE_MANAGE = "review.catalogue.manage"

_AUTHOR = {REPORT_VIEW, REPORT_EDIT}
TABLE = {
    R.COMMITTEE_CHAIR: {REPORT_VIEW, REPORT_APPROVE, CONCLUSION_VIEW, SANCTION_APPROVE},
    R.COMMITTEE_MEMBER: {REPORT_VIEW, CONCLUSION_VIEW},
    R.QUALITY_OFFICER: {
        REPORT_VIEW,
        REPORT_EDIT,
        REPORT_PUBLISH,
        ROUND_MANAGE,
        CONCLUSION_VIEW,
        SANCTION_PROPOSE,
        ANNUAL_BUILD,
        CATALOGUE_MANAGE,
    },
    R.SYSTEM_ADMIN: {CATALOGUE_MANAGE},
    R.DEPARTMENT_LEADER: _AUTHOR | {REPORT_APPROVE},
    R.DEPARTMENT_MEMBER: _AUTHOR,
    R.TEAM_LEADER: _AUTHOR | {REPORT_APPROVE},
    R.TEAM_MEMBER: _AUTHOR,
    R.SUPERVISOR: {REPORT_VIEW},
}


def register():
    access.grant_capabilities(TABLE)
    for item in (
        navigation.NavItem(
            _("Self-diagnosis"), "review:report_list", REPORT_VIEW, navigation.Group.REVIEW
        ),
        navigation.NavItem(
            _("Review rounds"), "review:round_list", ROUND_MANAGE, navigation.Group.REVIEW
        ),
        navigation.NavItem(
            _("Review conclusions"), "review:committee", CONCLUSION_VIEW, navigation.Group.REVIEW
        ),
    ):
        navigation.register(item)
