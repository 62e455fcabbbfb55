"""The fence around engine.task_writes, which writes a step hand-over's task rows itself: it
fails when viewflow changes what the writer mirrors (Task.save's one default, the task's
"previous" link table, the activation hooks it relies on), and shows the rows it writes are the
ones viewflow's own save would have written."""

import inspect

from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.nodes import SwitchActivation
from viewflow.workflow.status import STATUS

from engine import steps, task_writes
from tests.cases.factories import file_case
from tests.engine.test_step_rows import supervision


def test_viewflow_still_saves_tasks_and_activates_as_the_writer_assumes():
    # Task.save sets flow_task_type and nothing else: TaskWrites mirrors exactly that
    body = inspect.getsource(Task.save)
    assert "flow_task_type = self.flow_task.task_type" in body
    assert body.count("self.") == 4, "Task.save does more than the writer mirrors"
    through = Task.previous.through._meta
    assert {f.column for f in through.concrete_fields} >= {"from_task_id", "to_task_id"}
    for name in task_writes.TaskWrites.DONE:
        Task._meta.get_field(name)
    # the route switch is created by `create`, walked by `_activate_next`, and its activation
    # keeps the branch it took in `next_task` for `create_next`
    assert callable(SwitchActivation.create) and hasattr(Activation, "_activate_next")
    assert "next_task" in vars(SwitchActivation) and hasattr(SwitchActivation, "create_next")
    assert {STATUS.NEW, STATUS.ASSIGNED, STATUS.DONE} <= set(STATUS.values)


def test_a_step_hand_over_leaves_the_rows_viewflow_would(cast):
    case = file_case(cast.teacher, cast.units.rj)
    request = supervision(cast, case)
    steps.start(request)
    opened = Task.objects.get(process__in=steps.processes_of(request), status=STATUS.NEW)
    steps.advance(request, actor=cast.xx_leader, outcome="again")  # same state: same step again
    done = Task.objects.get(pk=opened.pk)
    assert done.status == STATUS.DONE and done.owner == cast.xx_leader
    assert done.finished is not None and done.data["outcome"] == "again"
    route = Task.objects.get(previous=done)
    assert route.flow_task_type == "SWITCH" and route.status == STATUS.DONE
    following = Task.objects.get(previous=route)
    assert following.flow_task == opened.flow_task and following.status == STATUS.NEW
    assert following.owner_permission == opened.owner_permission
    assert following.owner_permission_obj_pk == opened.owner_permission_obj_pk


def test_django_fsm_log_still_builds_the_history_row_as_the_backend_assumes():
    from django.conf import settings
    from django_fsm_log import backends

    assert settings.DJANGO_FSM_LOG_STORAGE_METHOD == "engine.task_writes.StateLogBackend"
    parameters = list(inspect.signature(backends._pre_transition_callback).parameters)
    assert parameters[:6] == ["sender", "instance", "name", "source", "target", "manager"]
    assert "manager.create(**values)" in inspect.getsource(backends._pre_transition_callback)
    assert issubclass(task_writes.StateLogBackend, backends.SimpleBackend)


def test_a_case_step_leaves_the_history_row_django_fsm_log_would(cast):
    from django_fsm_log.models import StateLog

    from cases import services

    case = file_case(cast.student, cast.units.jwc)  # the college's body accepts or refuses
    services.case_refuse(actor=cast.quality_officer, case=case, reason="不属于受理范围")
    log = StateLog.objects.for_(case).get()
    assert (log.source_state, log.state, log.transition) == ("submitted", "refused", "refuse")
    assert log.by == cast.quality_officer and log.description == "不属于受理范围"
    assert log.timestamp is not None
