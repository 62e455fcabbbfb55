"""A plan's task as a step table (engine.steps): in the inbox of the person responsible, or of
every leader of its lead unit until one does it; the task page's progress line; the backfill."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, Role
from engine import steps
from tests.engine.test_steps import inbox_rows
from tests.factories import UserFactory
from tests.workflows.review.test_steps import backfill
from workflows.plans import services
from workflows.plans.task_flows import PlanTaskFlow

from .factories import draft_plan


def rows_for(client, user, obj):
    return [r for r in inbox_rows(client, user) if r.obj == obj]


def new_task(cast, **extra):
    plan = draft_plan(cast)
    return services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="健全组织",
        title="成立系质量保证小组",
        deliverable="成立文件",
        deadline=datetime.date.today() + datetime.timedelta(days=60),
        **extra,
    )


def test_a_task_led_by_a_department_waits_for_every_leader_until_one_completes_it(cast, client):
    second = UserFactory(full_name="第二负责人")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    task = new_task(cast, lead_unit=cast.units.xx)
    for leader in (cast.xx_leader, second):
        found = rows_for(client, leader, task)
        assert [r.flow_task.name for r in found] == ["work"], leader
        assert found[0].url == task.get_absolute_url() and found[0].unit == cast.units.xx
        assert found[0].due is not None and not found[0].overdue
    assert not rows_for(client, cast.jd_leader, task)
    client.force_login(second)
    line = client.get(task.get_absolute_url()).context["progress"]
    assert [str(s.who) for s in line.current] == ["信息工程系 部门负责人"]
    assert line.current[0].due is not None and not line.done
    pdf = SimpleUploadedFile("成立文件.pdf", b"%PDF-1.4\nx\n%%EOF\n")
    client.post(reverse("plans:task_evidence", args=[task.pk]), {"file": pdf})
    assert client.post(reverse("plans:task_complete", args=[task.pk])).status_code == 302
    task.refresh_from_db()
    assert task.state == "done"
    for leader in (cast.xx_leader, second):
        assert not rows_for(client, leader, task), leader
    line = client.get(task.get_absolute_url()).context["progress"]
    assert not line.current
    assert [(str(s.who), s.outcome) for s in line.done] == [
        (str(second), str(PlanTaskFlow.table.outcomes["done"]))
    ]


def test_a_task_with_a_person_responsible_is_theirs_alone(cast, client):
    task = new_task(cast, lead_unit=cast.units.rj, person=cast.teacher)
    assert [r.flow_task.name for r in rows_for(client, cast.teacher, task)] == ["work"]
    assert not rows_for(client, cast.software_lead, task)
    client.force_login(cast.teacher)
    line = client.get(task.get_absolute_url()).context["progress"]
    assert [str(s.who) for s in line.current] == [str(cast.teacher)]


def test_the_backfill_opens_existing_tasks_once(cast, client):
    task = new_task(cast, lead_unit=cast.units.xx)
    steps.processes_of(task).delete()
    assert not rows_for(client, cast.xx_leader, task)
    assert backfill(PlanTaskFlow) == 1 and backfill(PlanTaskFlow) == 0
    assert [r.flow_task.name for r in rows_for(client, cast.xx_leader, task)] == ["work"]
    assert steps.processes_of(task).count() == 1


def test_imported_tasks_get_their_steps_after_the_commit(
    cast, login, django_capture_on_commit_callbacks, monkeypatch
):
    from config.celery import app as celery_app
    from workflows.plans.models import Task
    from workflows.plans.task_flows import unit_leader

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # the worker, in process

    from .test_import import SEED_ROWS, _import, _names

    plan = draft_plan(cast)
    client = login(cast.quality_officer)
    with django_capture_on_commit_callbacks(execute=True):
        _import(client, plan, SEED_ROWS, mapping=_names(cast))
    imported = list(Task.objects.filter(plan=plan))
    assert imported
    for task in imported:
        (step,) = steps.processes_of(task).get().task_set.filter(flow_task_type="HUMAN")
        seat = unit_leader(task.lead_unit)
        assert step.owner_permission == seat.permission
        assert str(step.owner_permission_obj_pk) == str(seat.unit.pk)
        # never a seat nobody holds: a unit without its own leader goes to the quality office
        assert steps.seat_holders(seat).exists()


def test_a_new_person_responsible_or_lead_unit_takes_the_open_step(cast, client):
    task = new_task(cast, lead_unit=cast.units.xx)
    task.person = cast.xx_member
    task.save()
    steps.retarget(task)
    assert [r.flow_task.name for r in rows_for(client, cast.xx_member, task)] == ["work"]
    assert not rows_for(client, cast.xx_leader, task)
    task.person = None
    task.lead_unit = cast.units.jd
    task.save()
    steps.retarget(task)
    assert not rows_for(client, cast.xx_member, task)
    assert [r.unit for r in rows_for(client, cast.jd_leader, task)] == [cast.units.jd]
    assert steps.processes_of(task).count() == 1
