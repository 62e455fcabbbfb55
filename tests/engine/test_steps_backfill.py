"""manage.py steps_backfill opens the waiting task of objects that predate their flow, once."""

import io

from django.core.management import call_command
from viewflow.workflow.models import Task

from engine.selectors import inbox_tasks
from tests.cases.factories import file_case
from tests.engine.test_step_rows import supervision


def test_backfill_opens_each_waiting_objects_task_once(cast):
    case = file_case(cast.teacher, cast.units.rj)
    waiting, answered = supervision(cast, case), supervision(cast, case)
    answered.status = answered.Status.ANSWERED
    answered.save()
    out = io.StringIO()
    call_command("steps_backfill", stdout=out)
    assert "1" in out.getvalue()
    call_command("steps_backfill", stdout=io.StringIO())
    opened = Task.objects.filter(flow_task_type="HUMAN", artifact_object_id=waiting.pk)
    assert opened.count() == 1 and opened.get() in set(inbox_tasks(cast.xx_leader))
    assert not Task.objects.filter(flow_task_type="HUMAN", artifact_object_id=answered.pk)
