"""转办 and 代理 (engine.delegation): a leader hands an open task to someone in their subtree,
with a reason and an audit row, and is refused outside it; a person away names a deputy whose
inbox lists their tasks only during the dates, at a constant number of queries."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import AuditEntry, Membership, Role
from engine import services
from engine.models import Absence, Notification
from tests.engine.test_steps import inbox_rows
from tests.workflows.plans.factories import draft_plan
from workflows.plans import services as plan_services


def plan_task(cast, title="建设课程资源库", **extra):
    plan = getattr(cast, "_plan", None) or draft_plan(cast)
    cast._plan = plan
    return plan_services.task_create(
        actor=cast.quality_officer,
        plan=plan,
        category="课程建设",
        title=title,
        deliverable="资源库",
        **extra,
    )


def step_of(task_obj):
    return Task.objects.get(
        process__artifact_object_id=task_obj.pk,
        process__artifact_content_type__model="task",
        flow_task_type="HUMAN",
    )


def rows_for(client, user, obj):
    return [r for r in inbox_rows(client, user) if r.obj == obj]


def test_a_leader_reassigns_a_task_of_their_subtree_with_a_reason_audited(cast, client):
    task = plan_task(cast, lead_unit=cast.units.rj)
    step = step_of(task)
    assert rows_for(client, cast.software_lead, task)
    leader_rows = rows_for(client, cast.software_lead, task)
    assert leader_rows[0].may_reassign  # a team leader leads rj itself
    url = reverse("engine:task_reassign", args=[step.pk])
    # the department leader finds it on the task's page (it is not in their own to-do list)
    client.force_login(cast.xx_leader)
    assert url in client.get(task.get_absolute_url()).content.decode()
    client.force_login(cast.software_member)
    assert url not in client.get(task.get_absolute_url()).content.decode()
    client.force_login(cast.xx_leader)
    form = client.get(url)
    assert form.status_code == 200
    assert cast.software_member in form.context["form"].fields["to_user"].queryset
    assert cast.jd_leader not in form.context["form"].fields["to_user"].queryset
    no_reason = client.post(url, {"to_user": cast.software_member.pk, "reason": " "})
    assert no_reason.status_code == 200 and no_reason.context["form"].errors["reason"]
    assert Task.objects.get(pk=step.pk).owner_id is None
    done = client.post(url, {"to_user": cast.software_member.pk, "reason": "赵磊出差，由何燕负责"})
    assert done.status_code == 302
    assert [r.obj for r in rows_for(client, cast.software_member, task)] == [task]
    assert not rows_for(client, cast.software_lead, task)
    entry = AuditEntry.objects.get(action="task.reassign", object_id=str(step.pk))
    assert entry.actor == cast.xx_leader
    assert entry.after == {"owner": cast.software_member.pk, "reason": "赵磊出差，由何燕负责"}
    assert entry.before == {"owner": None, "seat": "role:team_leader"}
    told = Notification.objects.get(kind="task.reassigned")
    assert told.recipient == cast.software_member and "赵磊出差，由何燕负责" in told.body
    assert told.url == task.get_absolute_url() and task.title not in told.title + told.body


def test_a_leader_alone_in_their_subtree_is_offered_no_reassign_and_told_why(cast, client):
    """jd_leader leads 机电工程系 and nobody else holds a post there: a 转办 link would open an
    empty picker. None is offered; the page, opened anyway, says why and has no form."""
    task = plan_task(cast, lead_unit=cast.units.jd)
    step = step_of(task)
    url = reverse("engine:task_reassign", args=[step.pk])
    client.force_login(cast.jd_leader)
    assert url not in client.get(task.get_absolute_url()).content.decode()
    rows = [r for r in inbox_rows(client, cast.jd_leader) if r.pk == step.pk]
    assert rows and not rows[0].may_reassign
    for response in (client.get(url), client.post(url, {"to_user": "", "reason": "调整"})):
        page = response.content.decode()
        assert response.status_code == 200
        assert (
            "无人可以接收转办" in page
            and "reassign-form" not in page
            and 'name="to_user"' not in page
        )
    assert Task.objects.get(pk=step.pk).owner_id is None
    # someone takes a post in the department: the link leads somewhere now
    Membership.objects.create(user=cast.teacher, org_unit=cast.units.jd, role=Role.TEACHER)
    assert url in client.get(task.get_absolute_url()).content.decode()
    assert [r.may_reassign for r in inbox_rows(client, cast.jd_leader) if r.pk == step.pk] == [True]
    assert 'id="reassign-form"' in client.get(url).content.decode()


def test_reassigning_outside_ones_subtree_is_refused_with_a_message(cast, client):
    task = plan_task(cast, lead_unit=cast.units.rj)
    step = step_of(task)
    client.force_login(cast.jd_leader)
    refused = client.post(
        reverse("engine:task_reassign", args=[step.pk]),
        {"to_user": cast.jd_leader.pk, "reason": "试试"},
        follow=True,
    )
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert [str(m) for m in refused.context["messages"]] == [
        "只能转办您所负责单位及其下属单位的待办事项。"
    ]
    assert Task.objects.get(pk=step.pk).owner_id is None
    with pytest.raises(ValidationError) as outside:
        services.task_reassign(
            actor=cast.xx_leader, task=step, to_user=cast.jd_leader, reason="调整"
        )
    assert "to_user" in outside.value.message_dict
    assert not AuditEntry.objects.filter(action="task.reassign").exists()


def mark_away(client, person, deputy, starts_on, ends_on):
    client.force_login(person)
    saved = client.post(
        reverse("engine:absences"),
        {
            "kind": Absence.Kind.TRIP,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "deputy": deputy.pk,
        },
    )
    assert saved.status_code == 302, saved.context and saved.context["form"].errors


def test_a_deputy_sees_the_absent_persons_tasks_only_during_the_dates(cast, client):
    seat_task = plan_task(cast, lead_unit=cast.units.rj)
    named_task = plan_task(
        cast, title="修订人才培养方案", lead_unit=cast.units.rj, person=cast.software_lead
    )
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    deputy = cast.xx_member
    mark_away(client, cast.software_lead, deputy, today + day, today + 5 * day)
    mark_away(client, cast.software_lead, deputy, today - 5 * day, today - day)
    assert not rows_for(client, deputy, seat_task) and not rows_for(client, deputy, named_task)
    mark_away(client, cast.software_lead, deputy, today, today + 2 * day)
    for obj in (seat_task, named_task):
        found = rows_for(client, deputy, obj)
        assert len(found) == 1 and found[0].on_behalf == cast.software_lead, obj
    # the absent person keeps them, the deadline is not paused, others see nothing
    assert rows_for(client, cast.software_lead, named_task)
    assert not rows_for(client, cast.jd_leader, seat_task)
    client.force_login(deputy)
    page = client.get(reverse("engine:inbox"))
    assert page.content.decode().count(f"代理{cast.software_lead}") == 2
    # the absence taken back: the deputy's inbox is theirs again
    client.force_login(cast.software_lead)
    for absence in Absence.objects.filter(user=cast.software_lead):
        client.post(reverse("engine:absence_delete", args=[absence.pk]))
    assert not rows_for(client, deputy, seat_task)
    assert AuditEntry.objects.filter(action="absence.create").count() == 3
    assert AuditEntry.objects.filter(action="absence.delete").count() == 3


def test_an_absence_must_end_after_it_starts_and_name_someone_else(cast, client):
    today = timezone.localdate()
    client.force_login(cast.software_lead)
    page = client.post(
        reverse("engine:absences"),
        {
            "kind": Absence.Kind.LEAVE,
            "starts_on": today.isoformat(),
            "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
            "deputy": cast.software_lead.pk,
        },
    )
    assert page.status_code == 200
    assert set(page.context["form"].errors) == {"ends_on", "deputy"}
    assert not Absence.objects.exists()


def test_the_deputys_inbox_runs_a_constant_number_of_queries(cast, client):
    today = timezone.localdate()
    mark_away(client, cast.software_lead, cast.xx_member, today, today)
    client.force_login(cast.xx_member)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("engine:inbox")).status_code == 200
        return len(captured)

    plan_task(cast, lead_unit=cast.units.rj)
    plan_task(cast, title="任务二", lead_unit=cast.units.rj, person=cast.software_lead)
    few = queries()
    for n in range(6):
        plan_task(cast, title=f"任务{n + 3}", lead_unit=cast.units.rj)
    assert len(inbox_rows(client, cast.xx_member)) == 8
    client.force_login(cast.xx_member)
    assert queries() == few


def test_a_task_named_to_someone_is_reassigned_from_them(cast, client):
    task = plan_task(cast, lead_unit=cast.units.rj, person=cast.software_lead)
    step = step_of(task)
    services.task_reassign(
        actor=cast.xx_leader, task=step, to_user=cast.software_member, reason="赵磊出差"
    )
    assert [r.obj for r in rows_for(client, cast.software_member, task)] == [task]
    assert not rows_for(client, cast.software_lead, task)
    entry = AuditEntry.objects.get(action="task.reassign")
    assert entry.before["owner"] == cast.software_lead.pk


def test_a_deputy_takes_the_absent_persons_seat_task_from_the_inbox(cast, client):
    """The deputy sees the absent leader's seat task with its 我来办 button; clicking it gives
    them the task (not a 403): it leaves the seat, stays in their inbox and they do it."""
    task = plan_task(cast, lead_unit=cast.units.rj)
    step = step_of(task)
    today = timezone.localdate()
    deputy = cast.xx_member
    outsider = cast.jd_leader
    mark_away(client, cast.software_lead, deputy, today, today)
    [row] = rows_for(client, deputy, task)
    assert row.claimable and row.on_behalf == cast.software_lead
    claim = reverse("engine:task_claim", args=[row.pk])
    assert claim in client.get(reverse("engine:inbox")).content.decode()
    client.force_login(outsider)
    assert client.post(claim).status_code == 403
    client.force_login(deputy)
    taken = client.post(claim, follow=True)
    assert taken.status_code == 200
    assert [m.level_tag for m in taken.context["messages"]] == ["success"]
    assert Task.objects.get(pk=step.pk).owner_id == deputy.pk
    [mine] = rows_for(client, deputy, task)
    assert mine.on_behalf is None and not mine.claimable
    assert not rows_for(client, cast.software_lead, task)
    entry = AuditEntry.objects.get(action="task.claim")
    assert entry.actor == deputy and entry.after["on_behalf_of"] == cast.software_lead.pk
    # the task is theirs to do through its page
    client.force_login(deputy)
    client.post(reverse("plans:task_evidence", args=[task.pk]), {"file": _pdf()})
    client.post(reverse("plans:task_complete", args=[task.pk]))
    assert type(task).objects.get(pk=task.pk).state == "done"
    assert Task.objects.get(pk=step.pk).status == "DONE"
    # taken once: nobody takes it again
    assert client.post(claim).status_code == 403


def test_a_deputy_cannot_take_a_task_once_the_absence_is_over(cast, client):
    task = plan_task(cast, lead_unit=cast.units.rj)
    step = step_of(task)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    mark_away(client, cast.software_lead, cast.xx_member, yesterday, yesterday)
    client.force_login(cast.xx_member)
    assert client.post(reverse("engine:task_claim", args=[step.pk])).status_code == 403
    assert Task.objects.get(pk=step.pk).owner_id is None


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("成果.pdf", b"%PDF-1.4\nx\n%%EOF\n")


def _options(page, field):
    """{value: label} of a select as the page renders it (the empty choice left out)."""
    import re

    html = page.content.decode()
    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert 'data-picker="person"' in re.search(rf'<select name="{field}"[^>]*>', html).group(0)
    return {
        int(v): label.strip()
        for v, label in re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(1))
    }


def test_the_reassign_picker_offers_only_the_people_of_the_leaders_subtree(cast, client):
    task = plan_task(cast, lead_unit=cast.units.rj)
    url = reverse("engine:task_reassign", args=[step_of(task).pk])
    client.force_login(cast.xx_leader)
    offered = _options(client.get(url), "to_user")
    subtree = {
        cast.xx_member,
        cast.software_lead,
        cast.software_member,
        cast.teacher,
    }
    # staff only: the major's student is not handed a unit's work
    assert set(offered) == {p.pk for p in subtree}
    # told apart by their units, which the picker searches too
    assert offered[cast.software_member.pk] == f"{cast.software_member}（软件技术）"
    assert offered[cast.xx_member.pk] == f"{cast.xx_member}（信息工程系）"
    # what the form offers is what the service accepts, and nobody else
    for person in (cast.jd_leader, cast.quality_officer, cast.outsider):
        refused = client.post(url, {"to_user": person.pk, "reason": "调整"})
        assert refused.status_code == 200 and refused.context["form"].errors["to_user"]
    assert not AuditEntry.objects.filter(action="task.reassign").exists()


def test_the_deputy_picker_offers_the_people_of_ones_department_or_office(cast, client):
    client.force_login(cast.software_lead)
    page = client.get(reverse("engine:absences"))
    offered = _options(page, "deputy")
    # rj is 信息工程系's: its people, from the department leader to the course's students
    assert set(offered) == {
        p.pk
        for p in (
            cast.xx_leader,
            cast.xx_member,
            cast.software_member,
            cast.teacher,
            cast.student,
        )
    }
    assert offered[cast.xx_leader.pk] == f"{cast.xx_leader}（信息工程系）"
    # the quality office sits in the evaluation centre: its people are the centre's
    client.force_login(cast.quality_officer)
    assert set(_options(client.get(reverse("engine:absences")), "deputy")) == {cast.supervisor.pk}
    # someone of another department is refused by the form and by the service
    today = timezone.localdate()
    client.force_login(cast.software_lead)
    refused = client.post(
        reverse("engine:absences"),
        {
            "kind": Absence.Kind.TRIP,
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "deputy": cast.jd_leader.pk,
        },
    )
    assert refused.status_code == 200 and refused.context["form"].errors["deputy"]
    with pytest.raises(ValidationError) as outside:
        services.absence_create(
            actor=cast.software_lead,
            kind=Absence.Kind.TRIP,
            starts_on=today,
            ends_on=today,
            deputy=cast.jd_leader,
        )
    assert outside.value.message_dict["deputy"] == [f"{cast.jd_leader}不是您所在系部或部门的人员。"]
    assert not Absence.objects.exists()


def test_the_pickers_run_a_constant_number_of_queries(cast, client):
    from tests.factories import UserFactory

    task = plan_task(cast, lead_unit=cast.units.rj)
    url = reverse("engine:task_reassign", args=[step_of(task).pk])

    def queries(user, page):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        return len(captured)

    few = queries(cast.xx_leader, url), queries(cast.software_lead, reverse("engine:absences"))
    for n in range(5):
        person = UserFactory(full_name=f"教师{n}")
        Membership.objects.create(user=person, org_unit=cast.units.wl, role=Role.TEACHER)
    more = queries(cast.xx_leader, url), queries(cast.software_lead, reverse("engine:absences"))
    assert more == few
