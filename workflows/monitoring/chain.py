"""Which targets and standards in force a cycle is built from, linked set-wise.

A cycle's subject is held to the in-force items of its level that its own plans set (a personal
plan's items for a teacher or a student) and to those set by the plans of the units above it
(tier 1 and 2: the college's general and special plans, its department's plan), which apply to
every subject of that level beneath them. An item owned by the college, its committee or a
functional office (教务处 leads the 专业建设规划, 学生处 the 育人规划 …) speaks for the whole
college at its level, though the office sits beside the teaching departments in the tree, not
above them. Items of a sibling teaching unit never apply. The version in
force when the link is made is pinned, so a later revision (a committee-approved change request)
reaches the next cycle, not this one.

One INSERT … SELECT per kind of item and batch of cycles, however many subjects.
"""

from __future__ import annotations

from django.db import connection

from accounts.models import OrgUnit
from workflows.plans.models import ItemState, Plan, Standard, Target

from .models import Cycle, CycleStandard, CycleTarget, Stage, Subject

# A target of a personal plan belongs to the plan's person (the target row names no one).
TARGET_OWNER = (
    f"JOIN {Plan._meta.db_table} p ON p.id = t.plan_id",
    "coalesce(t.owner_user_id, p.owner_user_id)",
)
STANDARD_OWNER = ("", "t.owner_user_id")
# (link model, its item column, the item model, how to find the person an item belongs to)
KINDS = (
    (CycleTarget, "target_id", Target, TARGET_OWNER),
    (CycleStandard, "standard_id", Standard, STANDARD_OWNER),
)


# Units whose items apply college-wide (as SQL literals: the kinds are code, not input).
COLLEGE_WIDE = ", ".join(
    f"'{kind}'" for kind in (OrgUnit.Kind.COLLEGE, OrgUnit.Kind.COMMITTEE, OrgUnit.Kind.OFFICE)
)


def _insert_sql(link, column, item, owner) -> str:
    join, person = owner
    return f"""
        INSERT INTO {link._meta.db_table} (cycle_id, {column}, version)
        SELECT c.id, t.id, t.version
        FROM {Cycle._meta.db_table} c
        JOIN {Subject._meta.db_table} s ON s.id = c.subject_id
        JOIN {OrgUnit._meta.db_table} su ON su.id = c.responsible_unit_id
        JOIN {item._meta.db_table} t ON t.level = c.level AND t.state = %s
        JOIN {OrgUnit._meta.db_table} tu ON tu.id = t.owner_unit_id
        {join}
        WHERE c.period_id = %s AND c.subject_id IN ({{ids}}) AND c.stage IN (%s, %s)
          AND (({person} IS NULL
                 AND (tu.kind IN ({COLLEGE_WIDE})
                      OR substr(su.path, 1, length(tu.path)) = tu.path))
               OR {person} = s.subject_user_id)
          AND NOT EXISTS (
            SELECT 1 FROM {link._meta.db_table} x WHERE x.cycle_id = c.id AND x.{column} = t.id)
    """  # noqa: S608 - table names come from the models


def link_in_force_items(period_id: int, subject_ids) -> int:
    """Link the items in force to these subjects' cycles of the period that still set their
    targets and standards; returns the rows added."""
    subject_ids = [int(i) for i in subject_ids]
    if not subject_ids:
        return 0
    added = 0
    with connection.cursor() as cur:
        for link, column, item, owner in KINDS:
            sql = _insert_sql(link, column, item, owner).replace(
                "{ids}", ", ".join(["%s"] * len(subject_ids))
            )
            cur.execute(
                sql, [ItemState.IN_FORCE, period_id, *subject_ids, Stage.TARGET, Stage.STANDARD]
            )
            added += cur.rowcount
    return added
