"""Case transitions per second through the services vs a raw-SQL transition, same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<bench db> python bench/cases_transitions.py [N]

Loads N cases per worker (default 400) in state "submitted", as filing leaves them: a reporter
(the demo student, who has an e-mail address), a started acceptance deadline and the CaseFlow
process waiting on its acceptance task. Then 8 worker processes accept them, in alternating
rounds: with raw SQL (SELECT … FOR UPDATE, UPDATE, INSERT a history row, one transaction per case)
and through `cases.services.case_accept` (access check, row lock, FSM transition, fsm-log history
row, the acceptance deadline closed, audit row, the CaseFlow acceptance task completed with the
next task opened, and the reporter's notification written to the outbox with its delivery
nudged on commit). After the rounds the outbox is drained (`engine.tasks.deliver_pending`, as the
worker runs it) and the script checks that every accepted case told its reporter and closed its
deadline, and that every one has its history and audit rows and its process moved on.
Prints both rates, their ratio and the load average. Run it on a throw-away database:
it migrates and seeds the demo college when needed.
"""

import multiprocessing as mp
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _setup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
# cases each worker takes before the clock starts, on both sides: a server process is warm
# (compiled queries, loaded templates and rules), a freshly forked one is not
WARM = 5
REPORTER = "student"


def setup():
    import django
    from django.conf import settings

    django.setup()
    # as in production: no query log kept per connection (both sides alike)
    settings.DEBUG = False


def prepare(per_worker: int) -> tuple[list[list[int]], list[list[int]]]:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import OrgUnit, User
    from cases import flows
    from cases.models import Case
    from engine import deadlines

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="zgb").exists():
        call_command("seed_demo", verbosity=0)
    zgb, jwc = OrgUnit.objects.get(code="zgb"), OrgUnit.objects.get(code="jwc")
    reporter = User.objects.get(username=REPORTER)
    if not reporter.email:
        reporter.email = "student@example.edu.cn"
        reporter.save(update_fields=["email"])
    now = timezone.now()
    run = uuid.uuid4().hex[:6]

    def batch(tag):
        cases = [
            Case(
                number=f"B{run}{tag}{i:06d}",
                kind=Case.Kind.COMPLAINT,
                title="bench",
                description="bench",
                subject_unit=jwc,
                accepting_unit=zgb,
                reporter=reporter,
                created_at=now,
            )
            for i in range(per_worker * WORKERS)
        ]
        cases = Case.objects.bulk_create(cases, batch_size=2000)
        ids = [c.pk for c in cases]
        return cases, [ids[w::WORKERS] for w in range(WORKERS)]

    _raw_cases, raw = batch("r")
    cases, service = batch("s")
    # what filing leaves behind: the acceptance deadline running and the process waiting on
    # the acceptance task (the service side closes the one and completes the other)
    with transaction.atomic():
        deadlines.deadline_start_many(
            kind="case.acceptance",
            specs=[deadlines.DeadlineSpec(obj=c, owner_unit=zgb, working_days=5) for c in cases],
        )
        for case in cases:
            flows.start(case)
    # Fresh planner statistics, as autovacuum keeps them on a live database: right after a bulk
    # load the planner believes the task table is nearly empty and scans every open task.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return raw, service


RAW_SQL = [
    "SELECT id, status FROM cases_case WHERE id = %s FOR UPDATE",
    "UPDATE cases_case SET status = 'accepted', accepted_at = now() WHERE id = %s "
    "AND status = 'submitted'",
    "INSERT INTO django_fsm_log_statelog (timestamp, source_state, state, transition, "
    "object_id, content_type_id, by_id, description) "
    "VALUES (now(), 'submitted', 'accepted', 'accept', %s, %s, %s, NULL)",
]


def raw_worker(ids, start, done):
    setup()
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from accounts.models import User
    from cases.models import Case

    ct = ContentType.objects.get_for_model(Case).pk
    actor = User.objects.get(username="zgb").pk

    def accept(pk):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_SQL[0], [pk])
            cursor.fetchone()
            cursor.execute(RAW_SQL[1], [pk])
            cursor.execute(RAW_SQL[2], [pk, ct, actor])

    run(accept, ids, start, done)


def run(accept, ids, start, done):
    for pk in ids[:WARM]:
        accept(pk)
    start.wait()
    finished = 0
    try:
        for pk in ids[WARM:]:
            accept(pk)
            finished += 1
    finally:
        done.put(finished)


def service_worker(ids, start, done):
    setup()
    from accounts.models import User
    from cases import services
    from cases.models import Case

    actor = User.objects.get(username="zgb")

    def accept(pk):
        # the service locks and reads the row itself (as the raw SELECT … FOR UPDATE does)
        services.case_accept(actor=actor, case=Case(pk=pk))

    run(accept, ids, start, done)


def measure(target, slices) -> tuple[int, float]:
    ctx = mp.get_context("fork")
    start, done = ctx.Barrier(WORKERS + 1), ctx.Queue()
    procs = [ctx.Process(target=target, args=(ids, start, done)) for ids in slices]
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    total = sum(done.get() for _ in procs)
    seconds = time.perf_counter() - began
    for p in procs:
        p.join()
    return total, seconds


def check(service_slices) -> str:
    """Did the service side do the real work? Every accepted case has its history row and
    audit row, its acceptance task done and the classification task open, closed its acceptance
    deadline and told its reporter, and the outbox delivers what it wrote."""
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog
    from viewflow.workflow.status import STATUS

    from accounts.models import AuditEntry
    from cases.flows import CaseFlow
    from cases.models import Case
    from engine.models import Deadline, Delivery, Notification
    from engine.tasks import deliver_pending

    ids = [pk for ids in service_slices for pk in ids]
    accepted = Case.objects.filter(pk__in=ids, status="accepted").count()
    case_type = ContentType.objects.get_for_model(Case)
    logged = StateLog.objects.filter(
        content_type=case_type, object_id__in=ids, transition="accept", by__isnull=False
    ).count()
    audited = AuditEntry.objects.filter(
        action="case.accept", object_id__in=[str(pk) for pk in ids]
    ).count()
    tasks = CaseFlow.task_class.objects.filter(process__caseprocess__case_id__in=ids)
    handed = tasks.filter(flow_task=CaseFlow.accept, status=STATUS.DONE).count()
    opened = tasks.filter(flow_task=CaseFlow.classify, status=STATUS.NEW).count()
    if not accepted == logged == audited == handed == opened == len(ids):
        sys.exit(
            f"the service side skipped work: {len(ids)} cases, {accepted} accepted, {logged} "
            f"history rows, {audited} audit rows, {handed} acceptance tasks done, {opened} "
            "classification tasks opened"
        )
    closed = Deadline.objects.filter(
        content_type=case_type,
        object_id__in=[str(pk) for pk in ids],
        kind="case.acceptance",
        status=Deadline.Status.DONE,
    ).count()
    told = Notification.objects.filter(kind="case.accepted", object_id__in=[str(pk) for pk in ids])
    written = told.count()
    deliver_pending()
    delivered = told.filter(delivered_at__isnull=False).count()
    outside = Delivery.objects.filter(notification__in=told).count()
    if not accepted == closed == written == delivered == len(ids):
        sys.exit(
            f"the service side skipped work: {len(ids)} cases, {accepted} accepted, {closed} "
            f"deadlines closed, {written} notifications written, {delivered} delivered"
        )
    return (
        f"  checked: {accepted:,} accepted with their history and audit rows, acceptance tasks "
        f"done and classification tasks opened, {closed:,} acceptance deadlines closed, "
        f"{written:,} reporter notifications written and delivered in-app ({outside:,} e-mail "
        "deliveries queued)"
    )


def main():
    per_worker = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    setup()
    from django.conf import settings
    from django.db import connections

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("run this on PostgreSQL (DATABASE_URL=postgres://...)")
    _setup.begin(
        "the same acceptance in raw SQL (lock the row, update it, insert the history row), one "
        f"transaction per case, {WORKERS} worker processes, same database, in alternating rounds"
    )
    raw_slices, service_slices = prepare(per_worker)
    connections.close_all()
    totals = {"raw": [0, 0.0], "service": [0, 0.0]}
    slices = {"raw": raw_slices, "service": service_slices}
    workers = {"raw": raw_worker, "service": service_worker}

    def side(name):
        def run():
            # each round takes the next ROUNDS-th of every worker's cases
            r = len(per_round[name])
            done, seconds = measure(workers[name], [ids[r::ROUNDS] for ids in slices[name]])
            totals[name][0] += done
            totals[name][1] += seconds
            per_round[name].append(done / seconds)

        return run

    per_round = {"raw": [], "service": []}
    _setup.alternate({name: side(name) for name in totals}, ROUNDS)
    raw, service = (n / seconds for n, seconds in totals.values())
    print(
        f"case transitions, {WORKERS} worker processes, {totals['raw'][0]:,} timed each side "
        f"(after {WARM} per worker and round to warm up), in {ROUNDS} alternating rounds"
    )
    rates = {name: " ".join(f"{r:,.0f}" for r in rs) for name, rs in per_round.items()}
    print(f"  raw SQL (lock, update, history):   {raw:>8,.0f} /s   (rounds: {rates['raw']})")
    print(
        f"  services.case_accept:              {service:>8,.0f} /s   (rounds: {rates['service']})"
    )
    print(f"  ratio services / raw:              {service / raw:>8.2f}   (target >= 0.15)")
    print(check(service_slices))


if __name__ == "__main__":
    main()
