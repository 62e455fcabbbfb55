"""Set-based warning evaluation: a few statements per (indicator, period), none per subject.

For one indicator and period the database itself
1. resolves open warnings whose current approved reading is back inside the band,
2. re-grades open warnings whose reading moved between yellow and red,
3. raises a warning for every current reading outside the band that has no open warning yet.
Re-running changes nothing (idempotent). Rows are never pulled into Python here, so memory stays
flat however many readings there are; the per-warning follow-up (deadlines, hooks, cycle moves)
runs afterwards over the run's own rows in chunks (`follow_up`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import Direction, Indicator, Period

OPEN_STATES = ("open", "acknowledged")


@dataclass
class EvaluationResult:
    run: str
    raised: int = 0
    resolved: int = 0
    regraded: int = 0


def _level_sql(indicator: Indicator, column: str) -> tuple[str, list]:
    """SQL CASE giving 'red' / 'yellow' / NULL for a value, and its parameters."""
    op = "<" if indicator.direction == Direction.HIGHER else ">"
    sql = f"CASE WHEN {column} {op} %s THEN 'red' WHEN {column} {op} %s THEN 'yellow' END"
    return sql, [indicator.red_threshold, indicator.yellow_threshold]


def _outside_sql(indicator: Indicator, column: str) -> tuple[str, list]:
    op = "<" if indicator.direction == Direction.HIGHER else ">"
    return f"{column} {op} %s", [indicator.yellow_threshold]


def evaluate(indicator: Indicator, period: Period, *, run: str | None = None) -> EvaluationResult:
    result = EvaluationResult(run=run or uuid.uuid4().hex)
    now = timezone.now()
    level_sql, level_params = _level_sql(indicator, "r.value")
    outside_sql, outside_params = _outside_sql(indicator, "r.value")
    inside_sql = f"NOT ({outside_sql})"
    with transaction.atomic(), connection.cursor() as cur:
        # Serialise evaluations of the same indicator: two runs at once must not both raise.
        Indicator.objects.select_for_update().filter(pk=indicator.pk).first()
        cur.execute(
            f"""
            UPDATE monitoring_warning SET status = 'resolved', resolved_at = %s, resolved_run = %s
            WHERE indicator_id = %s AND period_id = %s AND status IN ('open', 'acknowledged')
              AND EXISTS (
                SELECT 1 FROM monitoring_reading r
                WHERE r.indicator_id = monitoring_warning.indicator_id
                  AND r.period_id = monitoring_warning.period_id
                  AND r.subject_id = monitoring_warning.subject_id
                  AND r.is_current AND {inside_sql})
            """,  # noqa: S608 - only our own column names and operators are interpolated
            [now, result.run, indicator.pk, period.pk, *outside_params],
        )
        result.resolved = cur.rowcount
        cur.execute(
            f"""
            UPDATE monitoring_warning SET level = ({level_sql}), value = r.value
            FROM monitoring_reading r
            WHERE monitoring_warning.indicator_id = %s AND monitoring_warning.period_id = %s
              AND monitoring_warning.status IN ('open', 'acknowledged')
              AND r.indicator_id = monitoring_warning.indicator_id
              AND r.period_id = monitoring_warning.period_id
              AND r.subject_id = monitoring_warning.subject_id
              AND r.is_current AND {outside_sql}
              AND (monitoring_warning.level <> ({level_sql})
                   OR monitoring_warning.value <> r.value)
            """,  # noqa: S608
            [
                *level_params,
                indicator.pk,
                period.pk,
                *outside_params,
                *level_params,
            ],
        )
        result.regraded = cur.rowcount
        cur.execute(
            f"""
            INSERT INTO monitoring_warning
              (indicator_id, subject_id, period_id, responsible_unit_id, level, value, status,
               escalation_level, raised_at, raised_run, resolved_run)
            SELECT r.indicator_id, r.subject_id, r.period_id, s.responsible_unit_id,
                   {level_sql}, r.value, 'open', 0, %s, %s, ''
            FROM monitoring_reading r JOIN monitoring_subject s ON s.id = r.subject_id
            WHERE r.indicator_id = %s AND r.period_id = %s AND r.is_current AND {outside_sql}
              AND NOT EXISTS (
                SELECT 1 FROM monitoring_warning w
                WHERE w.indicator_id = r.indicator_id AND w.period_id = r.period_id
                  AND w.subject_id = r.subject_id AND w.status IN ('open', 'acknowledged'))
            """,  # noqa: S608
            [*level_params, now, result.run, indicator.pk, period.pk, *outside_params],
        )
        result.raised = cur.rowcount
    return result


def crossings_sql() -> str:
    """The same crossings as one plain query over every indicator (the benchmark's baseline)."""
    return """
        SELECT r.subject_id, r.indicator_id,
               CASE WHEN i.direction = 'higher' THEN
                      CASE WHEN r.value < i.red_threshold THEN 'red' ELSE 'yellow' END
                    ELSE CASE WHEN r.value > i.red_threshold THEN 'red' ELSE 'yellow' END
               END AS level
        FROM monitoring_reading r JOIN monitoring_indicator i ON i.id = r.indicator_id
        WHERE r.period_id = %s AND r.is_current
          AND ((i.direction = 'higher' AND r.value < i.yellow_threshold)
               OR (i.direction = 'lower' AND r.value > i.yellow_threshold))
    """
