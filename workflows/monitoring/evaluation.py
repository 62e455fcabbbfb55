"""Set-based warning evaluation: a handful of statements per period, none per subject.

For one period and a set of its indicators the database itself
1. collects the current approved readings outside their bands (one pass over the readings,
   the same scan as the plain crossings query) into a temporary table,
2. in one pass over the open warnings, resolves those whose subject is no longer in it (the
   reading came back inside) and re-grades those whose reading moved between yellow and red,
3. raises a warning for every crossing that has no open warning yet (those with one are
   dropped from the temporary table first).
Re-running changes nothing (idempotent). Rows never come into Python, so memory stays flat
however many readings there are; the per-warning follow-up (deadlines, notifications, hooks,
cycle moves) runs afterwards over the run's own rows in chunks (services.follow_up).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import Indicator, Period

TEMP = "monitoring_eval_crossing"

# Level of a current reading outside its indicator's band (r: reading, i: indicator).
LEVEL_SQL = """
    CASE WHEN i.direction = 'higher' THEN
           CASE WHEN r.value < i.red_threshold THEN 'red' ELSE 'yellow' END
         ELSE CASE WHEN r.value > i.red_threshold THEN 'red' ELSE 'yellow' END
    END"""
OUTSIDE_SQL = """
    ((i.direction = 'higher' AND r.value < i.yellow_threshold)
     OR (i.direction = 'lower' AND r.value > i.yellow_threshold))"""


@dataclass
class EvaluationResult:
    run: str
    period_id: int
    indicator_ids: list[int]
    raised: int = 0
    resolved: int = 0
    regraded: int = 0


def crossings_sql() -> str:
    """The crossings of a period as one plain query (also the benchmark's baseline)."""
    return f"""
        SELECT r.subject_id, r.indicator_id, {LEVEL_SQL} AS level
        FROM monitoring_reading r JOIN monitoring_indicator i ON i.id = r.indicator_id
        WHERE r.period_id = %s AND r.is_current AND {OUTSIDE_SQL}
    """  # noqa: S608 - constant SQL


def evaluate(period: Period, indicators, *, run: str | None = None) -> EvaluationResult:
    ids = sorted({i.pk if isinstance(i, Indicator) else int(i) for i in indicators})
    result = EvaluationResult(run=run or uuid.uuid4().hex, period_id=period.pk, indicator_ids=ids)
    if not ids:
        return result
    now = timezone.now()
    in_ids = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cur:
        # Serialise evaluations of the same indicators: two runs at once must not both raise.
        list(Indicator.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        cur.execute(f"DROP TABLE IF EXISTS {TEMP}")
        cur.execute(
            f"""CREATE TEMPORARY TABLE {TEMP} (
                indicator_id bigint NOT NULL, subject_id bigint NOT NULL,
                value numeric(14, 4) NOT NULL, level varchar(10) NOT NULL)"""
        )
        cur.execute(
            f"""
            INSERT INTO {TEMP} (indicator_id, subject_id, value, level)
            SELECT r.indicator_id, r.subject_id, r.value, {LEVEL_SQL}
            FROM monitoring_reading r JOIN monitoring_indicator i ON i.id = r.indicator_id
            WHERE r.period_id = %s AND r.indicator_id IN ({in_ids}) AND r.is_current
              AND {OUTSIDE_SQL}
            """,  # noqa: S608 - only placeholders and constant SQL are interpolated
            [period.pk, *ids],
        )
        cur.execute(f"CREATE INDEX {TEMP}_key ON {TEMP} (indicator_id, subject_id)")
        if connection.vendor == "postgresql":
            # Temporary tables get no automatic statistics; without them the planner picks a
            # nested loop over the warnings it is inserting into.
            cur.execute(f"ANALYZE {TEMP}")
        # One pass over the open warnings: back inside the band (no crossing) → resolved;
        # crossing at another level or value → re-graded.
        cur.execute(
            f"""
            UPDATE monitoring_warning SET
              status = CASE WHEN x.level IS NULL THEN 'resolved' ELSE monitoring_warning.status END,
              resolved_at = CASE WHEN x.level IS NULL THEN %s
                                 ELSE monitoring_warning.resolved_at END,
              resolved_run = CASE WHEN x.level IS NULL THEN %s
                                  ELSE monitoring_warning.resolved_run END,
              level = COALESCE(x.level, monitoring_warning.level),
              value = COALESCE(x.value, monitoring_warning.value)
            FROM (
              SELECT w.id, c.level, c.value
              FROM monitoring_warning w LEFT JOIN {TEMP} c
                ON c.indicator_id = w.indicator_id AND c.subject_id = w.subject_id
              WHERE w.period_id = %s AND w.indicator_id IN ({in_ids})
                AND w.status IN ('open', 'acknowledged')
                AND (c.level IS NULL OR c.level <> w.level OR c.value <> w.value)
            ) x
            WHERE monitoring_warning.id = x.id
            """,  # noqa: S608
            [now, result.run, period.pk, *ids],
        )
        changed = cur.rowcount
        cur.execute(
            "SELECT count(*) FROM monitoring_warning WHERE period_id = %s "  # noqa: S608
            f"AND indicator_id IN ({in_ids}) AND status = 'resolved' AND resolved_run = %s",
            [period.pk, *ids, result.run],
        )
        result.resolved = cur.fetchone()[0]
        result.regraded = changed - result.resolved
        # Drop the crossings that already have an open warning first, so the insert below
        # never reads the table it is writing to.
        cur.execute(
            f"""
            DELETE FROM {TEMP}
            WHERE EXISTS (
                SELECT 1 FROM monitoring_warning w
                WHERE w.indicator_id = {TEMP}.indicator_id AND w.period_id = %s
                  AND w.subject_id = {TEMP}.subject_id AND w.status IN ('open', 'acknowledged'))
            """,  # noqa: S608
            [period.pk],
        )
        cur.execute(
            f"""
            INSERT INTO monitoring_warning
              (indicator_id, subject_id, period_id, responsible_unit_id, level, value, status,
               escalation_level, raised_at, raised_run, resolved_run)
            SELECT c.indicator_id, c.subject_id, %s, s.responsible_unit_id, c.level, c.value,
                   'open', 0, %s, %s, ''
            FROM {TEMP} c JOIN monitoring_subject s ON s.id = c.subject_id
            """,  # noqa: S608
            [period.pk, now, result.run],
        )
        result.raised = cur.rowcount
        cur.execute(f"DROP TABLE {TEMP}")
    return result
