"""The fence around engine.step_rows, the one module that writes viewflow's rows itself: it fails
when the library's models change under it, and checks that a task opened set-wise is the task
the public API opens, and is completed by `steps.advance` like one."""

from datetime import timedelta

from django.utils import timezone
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from cases.complaints import services
from cases.complaints.models import Supervision
from engine import step_rows, steps
from engine.selectors import inbox_tasks
from tests.cases.factories import file_case

FIELDS = {
    Process: ("flow_class", "status", "finished", "artifact_content_type", "artifact_object_id"),
    Task: (
        "process",
        "flow_task",
        "flow_task_type",
        "status",
        "owner",
        "owner_permission",
        "owner_permission_content_type",
        "owner_permission_obj_pk",
        "artifact_content_type",
        "artifact_object_id",
        "data",
        "started",
        "finished",
    ),
}
SAME = (
    "flow_task",
    "flow_task_type",
    "status",
    "owner_id",
    "owner_permission",
    "owner_permission_content_type_id",
    "owner_permission_obj_pk",
    "artifact_content_type_id",
)


def test_viewflow_still_has_the_fields_and_states_the_fence_writes():
    for model, names in FIELDS.items():
        for name in names:
            model._meta.get_field(name)
    assert {PROCESS.NEW, PROCESS.DONE} <= set(PROCESS.values)
    assert {STATUS.NEW, STATUS.ASSIGNED, STATUS.DONE} <= set(STATUS.values)


def supervision(cast, case):
    return Supervision.objects.create(
        case=case,
        unit=cast.units.xx,
        issued_by=cast.discipline_officer,
        request="请答复",
        due_at=timezone.now() + timedelta(days=3),
    )


def test_a_task_opened_set_wise_is_the_public_apis_task_and_advances_like_it(cast):
    case = file_case(cast.teacher, cast.units.rj)
    public, fenced = supervision(cast, case), supervision(cast, case)
    steps.start(public)
    assert step_rows.open_many([fenced]) == 1
    assert step_rows.open_many([fenced]) == 0  # idempotent
    by_api = Task.objects.get(artifact_object_id=public.pk, flow_task_type="HUMAN")
    by_rows = Task.objects.get(artifact_object_id=fenced.pk, flow_task_type="HUMAN")
    for name in SAME:
        assert getattr(by_rows, name) == getattr(by_api, name), name
    assert set(inbox_tasks(cast.xx_leader)) >= {by_api, by_rows}
    services.supervision_answer(actor=cast.xx_leader, supervision=fenced, answer="已办")
    by_rows.refresh_from_db()
    assert by_rows.status == STATUS.DONE and by_rows.owner == cast.xx_leader
    assert by_rows.process.status == PROCESS.DONE
    assert by_rows not in inbox_tasks(cast.xx_leader)


def test_close_many_ends_the_processes_and_empties_the_inboxes(cast):
    case = file_case(cast.teacher, cast.units.rj)
    rows = [supervision(cast, case) for _ in range(3)]
    step_rows.open_many(rows)
    assert step_rows.close_many(Supervision, [s.pk for s in rows[:2]], outcome="answered") == 2
    left = [t.artifact_object_id for t in inbox_tasks(cast.xx_leader)]
    assert rows[2].pk in left and rows[0].pk not in left and rows[1].pk not in left
    done = Task.objects.filter(artifact_object_id=rows[0].pk, flow_task_type="HUMAN").get()
    assert done.data == {"outcome": "answered"} and done.process.status == PROCESS.DONE


def test_nothing_to_open():
    assert step_rows.open_many([]) == 0


def test_a_batch_reads_who_holds_the_seats_once_however_many_objects_it_opens(cast):
    """Inside a transaction no copy of the seats is kept (engine.memo); a batch still resolves
    them against one read, so its statements do not grow with its size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = file_case(cast.teacher, cast.units.rj)
    counts = []
    for n in (2, 8):
        rows = [supervision(cast, case) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            assert step_rows.open_many(rows) == n
        counts.append(len(queries))
    assert counts[0] == counts[1]
