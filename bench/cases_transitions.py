"""Case transitions per second through the services vs a raw-SQL transition, same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<bench db> python bench/cases_transitions.py [N]

Loads N cases per worker (default 400) in state "submitted", then 8 worker processes accept
them: first with raw SQL (SELECT … FOR UPDATE, UPDATE, INSERT a history row, one transaction per
case), then through `cases.services.case_accept` (access check, row lock, FSM transition, fsm-log
history row, deadline completion, audit row, and the CaseFlow acceptance task completed with the
next task opened). Prints both rates and their ratio. Run it on a
throw-away database: it migrates and seeds the demo college when needed.
"""

import multiprocessing as mp
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def setup():
    import django

    django.setup()


def prepare(per_worker: int) -> tuple[list[list[int]], list[list[int]]]:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import OrgUnit, User
    from cases.models import Case

    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="zgb").exists():
        call_command("seed_demo", verbosity=0)
    zgb, jwc = OrgUnit.objects.get(code="zgb"), OrgUnit.objects.get(code="jwc")
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
                created_at=now,
            )
            for i in range(per_worker * WORKERS)
        ]
        ids = [c.pk for c in Case.objects.bulk_create(cases, batch_size=2000)]
        return [ids[w::WORKERS] for w in range(WORKERS)]

    raw, service = batch("r"), batch("s")
    # the service path completes each case's acceptance task: give those cases their process
    from django.db import transaction

    from cases import flows

    for ids in service:
        with transaction.atomic():
            for case in Case.objects.filter(pk__in=ids):
                flows.start(case)
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
    start.wait()
    finished = 0
    try:
        for pk in ids:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(RAW_SQL[0], [pk])
                cursor.fetchone()
                cursor.execute(RAW_SQL[1], [pk])
                cursor.execute(RAW_SQL[2], [pk, ct, actor])
            finished += 1
    finally:
        done.put(finished)


def service_worker(ids, start, done):
    setup()
    from accounts.models import User
    from cases import services
    from cases.models import Case

    actor = User.objects.get(username="zgb")
    start.wait()
    finished = 0
    try:
        for pk in ids:
            # the service locks and reads the row itself (as the raw SELECT … FOR UPDATE does)
            services.case_accept(actor=actor, case=Case(pk=pk))
            finished += 1
    finally:
        done.put(finished)


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


def main():
    per_worker = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    setup()
    from django.conf import settings
    from django.db import connections

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("run this on PostgreSQL (DATABASE_URL=postgres://...)")
    raw_slices, service_slices = prepare(per_worker)
    connections.close_all()
    # the two sides take turns (ROUNDS each), so a neighbour's load on a shared machine weighs
    # on both alike instead of on whichever side happened to run during it
    totals = {raw_worker: [0, 0.0], service_worker: [0, 0.0]}
    for r in range(ROUNDS):
        for worker, slices in ((raw_worker, raw_slices), (service_worker, service_slices)):
            done, seconds = measure(worker, [ids[r::ROUNDS] for ids in slices])
            totals[worker][0] += done
            totals[worker][1] += seconds
    raw, service = (n / seconds for n, seconds in totals.values())
    print(
        f"case transitions, {WORKERS} worker processes, {per_worker * WORKERS} each side, "
        f"in {ROUNDS} alternating rounds"
    )
    print(f"  raw SQL (lock, update, history):   {raw:>8,.0f} /s")
    print(f"  services.case_accept:              {service:>8,.0f} /s")
    print(f"  ratio services / raw:              {service / raw:>8.2f}   (target >= 0.15)")


if __name__ == "__main__":
    main()
