"""The engine's capabilities (granted to roles from EngineConfig.ready)."""

from accounts.models import Role

JOBS_MANAGE = "engine.jobs.manage"  # failed background jobs: list, retry, cancel
DELIVERIES_MANAGE = "engine.deliveries.manage"  # failed notification deliveries
CALENDAR_MANAGE = "engine.calendar.manage"  # academic calendar import
OVERDUE_VIEW = "engine.overdue.view"  # overdue deadlines of the units one leads or oversees
IMPORTS_VIEW = "engine.imports.view"  # every import run (each person sees their own anyway)
TEMPLATES_MANAGE = "engine.templates.manage"  # the offices' Word templates of official documents

GRANTS = {
    Role.SYSTEM_ADMIN: {
        JOBS_MANAGE,
        DELIVERIES_MANAGE,
        CALENDAR_MANAGE,
        OVERDUE_VIEW,
        IMPORTS_VIEW,
        TEMPLATES_MANAGE,
    },
    Role.QUALITY_OFFICER: {CALENDAR_MANAGE, OVERDUE_VIEW, IMPORTS_VIEW, TEMPLATES_MANAGE},
    Role.COMMITTEE_CHAIR: {OVERDUE_VIEW},
    Role.COMMITTEE_MEMBER: {OVERDUE_VIEW},
    Role.DEPARTMENT_LEADER: {OVERDUE_VIEW},
    Role.TEAM_LEADER: {OVERDUE_VIEW},
}
