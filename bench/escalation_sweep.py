"""Escalation sweep over many open deadlines: time per sweep and query count.

The sweep must read only the rows whose next step is due (partial index on next_action_at), so its
query count and time must not grow with the open deadlines that need no action. Runs on its own
PostgreSQL database (created and dropped here).

    python bench/escalation_sweep.py [--idle 100000] [--due 200]
"""

import argparse
import time
from datetime import timedelta

import _setup

parser = argparse.ArgumentParser()
parser.add_argument("--idle", type=int, default=100_000, help="open deadlines needing no action")
parser.add_argument("--due", type=int, default=200, help="deadlines whose next step is due")
args = parser.parse_args()

_setup.setup_database()
_setup.begin(
    f"the same sweep over a tenth of the idle deadlines ({args.idle // 10:,}), the same "
    f"{args.due} due ones"
)

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, OrgUnit, Role, User  # noqa: E402
from engine import deadlines  # noqa: E402
from engine.models import Deadline, Notification  # noqa: E402

KIND = "case.investigation"


def make_org():
    college = OrgUnit.objects.add_root(
        create_kwargs={"name": "学院", "code": "c", "kind": "college"}
    )
    department = OrgUnit.objects.add_child(
        college, create_kwargs={"name": "信息工程系", "code": "xx", "kind": "department"}
    )
    office = OrgUnit.objects.add_child(
        college, create_kwargs={"name": "质量管理办公室", "code": "zgb", "kind": "office"}
    )
    leader = User.objects.create(username="leader", full_name="系主任")
    officer = User.objects.create(username="zgb", full_name="质管办")
    Membership.objects.create(user=leader, org_unit=department, role=Role.DEPARTMENT_LEADER)
    Membership.objects.create(user=officer, org_unit=office, role=Role.QUALITY_OFFICER)
    return department, leader


def bulk_deadlines(unit, owner, count, next_action_at, due_at, first_id):
    content_type = ContentType.objects.get_for_model(OrgUnit)
    rows = [
        Deadline(
            content_type=content_type,
            object_id=str(unit.pk),
            kind=f"{KIND}#{first_id + i}",
            owner_unit=unit,
            owner_user=owner,
            due_at=due_at,
            next_action_at=next_action_at,
        )
        for i in range(count)
    ]
    Deadline.objects.bulk_create(rows, batch_size=5000)


def measure(label, now):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        steps = deadlines.escalation_sweep(now=now)
        elapsed = time.perf_counter() - started
    print(f"{label:<44} steps={steps:>5}  time={elapsed * 1000:8.1f} ms  queries={len(queries):>5}")
    return steps, elapsed, len(queries)


unit, owner = make_org()
# Each benchmark deadline has its own kind; give them all the seeded investigation ladder.
from engine.models import EscalationRule  # noqa: E402

rule = EscalationRule.objects.get(kind=KIND)
now = timezone.now()
future = now + timedelta(days=30)
due_before = now - timedelta(days=10)

# warm-up, untimed: the first sweep of the process imports and compiles what every later one uses
bulk_deadlines(unit, owner, 1, now - timedelta(minutes=1), due_before, 0)
EscalationRule.objects.create(
    kind=f"{KIND}#0",
    label="warm-up",
    remind_before=rule.remind_before,
    leader_after=rule.leader_after,
    college_after=rule.college_after,
    college_target=rule.college_target,
)
deadlines.escalation_sweep(now=now)

results = {}
PROFILE = __import__("os").environ.get("BENCH_PROFILE")
for idle in sorted({args.idle // 10, args.idle}):
    Deadline.objects.all().delete()
    Notification.objects.all().delete()
    EscalationRule.objects.exclude(pk=rule.pk).delete()
    bulk_deadlines(unit, owner, idle, future, future + timedelta(days=5), 0)
    bulk_deadlines(unit, owner, args.due, now - timedelta(minutes=1), due_before, idle)
    EscalationRule.objects.bulk_create(
        [
            EscalationRule(
                kind=f"{KIND}#{i}",
                label=f"bench {i}",
                remind_before=rule.remind_before,
                leader_after=rule.leader_after,
                college_after=rule.college_after,
                college_target=rule.college_target,
            )
            for i in range(idle, idle + args.due)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE engine_deadline")
    empty = measure(f"idle={idle:>7} due=0 (nothing to do)", now - timedelta(minutes=2))
    full = measure(f"idle={idle:>7} due={args.due} (every step due)", now)
    again = measure(f"idle={idle:>7} second sweep (nothing twice)", now)
    assert again[0] == 0
    results[idle] = (empty, full)

small, large = sorted(results)
print()
print(
    f"query count, nothing due: {results[small][0][2]} at {small} idle rows vs "
    f"{results[large][0][2]} at {large}"
)
print(
    f"query count, {args.due} due: {results[small][1][2]} at {small} idle rows vs "
    f"{results[large][1][2]} at {large} ({results[large][1][2] / args.due:.1f} per due item)"
)
print(
    f"time per sweep, {args.due} due: {results[small][1][1] * 1000:.0f} ms at {small} vs "
    f"{results[large][1][1] * 1000:.0f} ms at {large} idle rows "
    f"(ratio {results[large][1][1] / results[small][1][1]:.2f}x)"
)
print()
print("EXPLAIN of the sweep's claim query:")
sweep_query = (
    Deadline.objects.select_for_update(skip_locked=True, of=("self",))
    .filter(status=Deadline.Status.OPEN, next_action_at__lte=now)
    .select_related("owner_unit", "owner_user", "content_type")
    .order_by("next_action_at")[:500]
)
with transaction.atomic(), connection.cursor() as cursor:
    sql, params = sweep_query.query.sql_with_params()
    cursor.execute("EXPLAIN " + sql, params)
    for (line,) in cursor.fetchall():
        print("   ", line)
