"""Set-based warning evaluation: one statement per period and set of indicators, none per subject.

On PostgreSQL one statement (data-modifying CTEs) does it all: it full-joins the current approved
readings outside their bands (one pass over the readings, the same scan as the plain crossings
query) with the open warnings of the period (an index scan), keeps only what differs, and from
that resolves the warnings whose reading came back inside, re-grades those whose reading moved
between yellow and red, and raises a warning for every crossing without one (the anti-join).
Elsewhere (SQLite in tests) the same steps run as a few statements over a temporary table.
Re-running changes nothing (idempotent). Rows never come into Python, so memory stays flat
however many readings there are; the per-warning follow-up (deadlines, notifications, hooks,
cycle moves) runs afterwards over the run's own rows in batches (services.follow_up).
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
    with transaction.atomic(), connection.cursor() as cur:
        # Serialise evaluations of the same indicators: two runs at once must not both raise.
        list(Indicator.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        if connection.vendor == "postgresql":
            _evaluate_one_statement(cur, result, ids, now)
        else:
            _evaluate_stepwise(cur, result, ids, now)
    return result


def _evaluate_one_statement(cur, result: EvaluationResult, ids: list[int], now) -> None:
    # A plan this plain gains nothing from JIT, which costs tens of milliseconds to compile.
    cur.execute("SET LOCAL jit = off")
    cur.execute(
        f"""
        WITH pairs AS MATERIALIZED (
          SELECT coalesce(c.indicator_id, o.indicator_id) AS indicator_id,
                 coalesce(c.subject_id, o.subject_id) AS subject_id,
                 c.value, c.level, o.id AS warning_id
          FROM (
            SELECT r.indicator_id, r.subject_id, r.value, {LEVEL_SQL} AS level
            FROM monitoring_reading r JOIN monitoring_indicator i ON i.id = r.indicator_id
            WHERE r.period_id = %(period)s AND r.indicator_id = ANY(%(ids)s) AND r.is_current
              AND {OUTSIDE_SQL}
          ) c
          FULL JOIN (
            SELECT w.id, w.indicator_id, w.subject_id, w.level, w.value
            FROM monitoring_warning w
            WHERE w.period_id = %(period)s AND w.indicator_id = ANY(%(ids)s)
              AND w.status IN ('open', 'acknowledged')
          ) o ON o.indicator_id = c.indicator_id AND o.subject_id = c.subject_id
          WHERE o.id IS NULL OR c.subject_id IS NULL OR c.level <> o.level OR c.value <> o.value
        ),
        changed AS (
          UPDATE monitoring_warning w SET
            status = CASE WHEN p.level IS NULL THEN 'resolved' ELSE w.status END,
            resolved_at = CASE WHEN p.level IS NULL THEN %(now)s ELSE w.resolved_at END,
            resolved_run = CASE WHEN p.level IS NULL THEN %(run)s ELSE w.resolved_run END,
            level = coalesce(p.level, w.level),
            value = coalesce(p.value, w.value)
          FROM pairs p
          WHERE p.warning_id IS NOT NULL AND w.id = p.warning_id
          RETURNING p.level IS NULL AS resolved
        ),
        raised AS (
          INSERT INTO monitoring_warning
            (indicator_id, subject_id, period_id, responsible_unit_id, level, value, status,
             escalation_level, raised_at, raised_run, resolved_run)
          SELECT p.indicator_id, p.subject_id, %(period)s, s.responsible_unit_id, p.level,
                 p.value, 'open', 0, %(now)s, %(run)s, ''
          FROM pairs p JOIN monitoring_subject s ON s.id = p.subject_id
          WHERE p.warning_id IS NULL
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM raised),
               (SELECT count(*) FILTER (WHERE resolved) FROM changed),
               (SELECT count(*) FILTER (WHERE NOT resolved) FROM changed)
        """,  # noqa: S608 - only constant SQL is interpolated
        {"period": result.period_id, "ids": ids, "now": now, "run": result.run},
    )
    result.raised, result.resolved, result.regraded = cur.fetchone()


def _evaluate_stepwise(cur, result: EvaluationResult, ids: list[int], now) -> None:
    """The same work for databases without data-modifying CTEs (SQLite in tests)."""
    in_ids = ", ".join(["%s"] * len(ids))
    period_id = result.period_id
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
        [period_id, *ids],
    )
    cur.execute(f"CREATE INDEX {TEMP}_key ON {TEMP} (indicator_id, subject_id)")
    # Back inside the band (no crossing) → resolved; crossing at another level or value →
    # re-graded.
    cur.execute(
        f"""
        UPDATE monitoring_warning SET
          status = CASE WHEN x.level IS NULL THEN 'resolved' ELSE monitoring_warning.status END,
          resolved_at = CASE WHEN x.level IS NULL THEN %s ELSE monitoring_warning.resolved_at END,
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
        [now, result.run, period_id, *ids],
    )
    changed = cur.rowcount
    cur.execute(
        "SELECT count(*) FROM monitoring_warning WHERE period_id = %s "  # noqa: S608
        f"AND indicator_id IN ({in_ids}) AND status = 'resolved' AND resolved_run = %s",
        [period_id, *ids, result.run],
    )
    result.resolved = cur.fetchone()[0]
    result.regraded = changed - result.resolved
    cur.execute(
        f"""
        INSERT INTO monitoring_warning
          (indicator_id, subject_id, period_id, responsible_unit_id, level, value, status,
           escalation_level, raised_at, raised_run, resolved_run)
        SELECT c.indicator_id, c.subject_id, %s, s.responsible_unit_id, c.level, c.value,
               'open', 0, %s, %s, ''
        FROM {TEMP} c JOIN monitoring_subject s ON s.id = c.subject_id
        WHERE NOT EXISTS (
            SELECT 1 FROM monitoring_warning w
            WHERE w.indicator_id = c.indicator_id AND w.period_id = %s
              AND w.subject_id = c.subject_id AND w.status IN ('open', 'acknowledged'))
        """,  # noqa: S608
        [period_id, now, result.run, period_id],
    )
    result.raised = cur.rowcount
    cur.execute(f"DROP TABLE {TEMP}")
