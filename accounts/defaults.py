"""Data the college starts from, loaded by a migration and editable in the admin afterwards.

`seed_grantable_roles` takes the model so the migration can pass its historical one (and tests
whose transactional neighbours flushed the tables can put the rows back)."""

# A department leader staffs the department; a team leader the team; the quality office and the
# system administrator every role below the system administrator's own.
TEACHING = [
    "department_member",
    "team_leader",
    "team_member",
    "class_adviser",
    "teacher",
    "student",
]
ALL_BUT_ADMIN = [
    "committee_chair",
    "committee_member",
    "quality_officer",
    "department_leader",
    "supervisor",
    "discipline_officer",
    "external_expert",
    *TEACHING,
]
GRANTABLE_ROLES = {
    "department_leader": TEACHING,
    "team_leader": ["team_member", "teacher", "student"],
    "quality_officer": ALL_BUT_ADMIN,
    "system_admin": [*ALL_BUT_ADMIN, "system_admin"],
}


def seed_grantable_roles(model) -> None:
    model.objects.bulk_create(
        [
            model(granter_role=granter, role=role)
            for granter, roles in GRANTABLE_ROLES.items()
            for role in roles
        ],
        ignore_conflicts=True,
    )
