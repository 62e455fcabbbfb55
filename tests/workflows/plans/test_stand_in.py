"""A plan task whose lead unit has nobody who can act waits for the quality office (engine.steps
.leader_seat): the task page's progress line and the office's inbox say that it stands in, and
for whom; once the lead unit has someone who acts, the task goes there and the note goes."""

import datetime

from django.urls import reverse

from accounts.models import Membership, Role
from engine import steps
from workflows.plans import services

from .factories import draft_plan

NOTE = "（信息中心无人可办理，暂由质量管理办公室代办）"


def task_led_by(cast, unit):
    return services.task_create(
        actor=cast.quality_officer,
        plan=draft_plan(cast),
        category="信息化",
        title="建设校本数据平台",
        deliverable="平台上线报告",
        deadline=datetime.date.today() + datetime.timedelta(days=60),
        lead_unit=unit,
    )


def test_a_task_nobody_in_its_lead_unit_can_do_says_the_quality_office_stands_in(cast, client):
    task = task_led_by(cast, cast.units.xxzx)
    client.force_login(cast.quality_officer)
    page = client.get(task.get_absolute_url())
    [waiting] = page.context["progress"].current
    assert (str(waiting.who), waiting.stand_in) == ("质量管理办公室 质管办工作人员", NOTE)
    assert f"质量管理办公室 质管办工作人员{NOTE}" in page.content.decode().replace(
        '<span class="muted stand-in">', ""
    ).replace("</span>", "")
    inbox = client.get(reverse("engine:inbox"))
    [row] = [r for r in inbox.context["rows"] if r.obj == task]
    assert row.stand_in == NOTE and NOTE in inbox.content.decode()


def test_the_note_goes_when_the_task_goes_to_a_unit_with_someone_who_acts(cast, client):
    task = task_led_by(cast, cast.units.xxzx)
    Membership.objects.create(
        user=cast.xx_member, org_unit=cast.units.xxzx, role=Role.DEPARTMENT_LEADER
    )
    steps.retarget(task)
    client.force_login(cast.xx_member)
    page = client.get(task.get_absolute_url())
    [waiting] = page.context["progress"].current
    assert (str(waiting.who), waiting.stand_in) == ("信息中心 部门负责人", "")
    assert "无人可办理" not in page.content.decode()


def test_a_task_its_unit_does_itself_has_no_note(cast, client):
    """A department's leader does its task; the quality office's own task is its officers' (they
    stand in for nobody), and so is one of the centre the office sits in."""
    for unit, who in (
        (cast.units.xx, "信息工程系 部门负责人"),
        (cast.units.zgb, "质量管理办公室 质管办工作人员"),
        (cast.units.jdpj, "质量管理办公室 质管办工作人员"),
    ):
        task = task_led_by(cast, unit)
        client.force_login(cast.quality_officer)
        page = client.get(task.get_absolute_url())
        assert [(str(s.who), s.stand_in) for s in page.context["progress"].current] == [
            (who, "")
        ], unit
        assert "无人可办理" not in page.content.decode()


def test_a_standard_of_an_office_nobody_leads_says_the_quality_office_reviews_in_its_place(
    cast, client
):
    from .factories import draft_target

    target = draft_target(cast, draft_plan(cast))
    standard = services.standard_create(
        actor=cast.quality_officer,
        owner_unit=cast.units.xxzx,
        level="school",
        content={"title": "数据采集规范", "text": "", "reference": "", "targets": [target.pk]},
    )
    assert standard.reviewing_unit == cast.units.xxzx
    services.item_submit(actor=cast.quality_officer, item=standard)
    client.force_login(cast.quality_officer)
    page = client.get(standard.get_absolute_url())
    [waiting] = page.context["progress"].current
    assert (str(waiting.who), waiting.stand_in) == (str(cast.quality_officer), NOTE)
    assert NOTE in page.content.decode()
    # an office with its leader reviews its own: no note
    Membership.objects.create(
        user=cast.xx_member, org_unit=cast.units.xxzx, role=Role.DEPARTMENT_LEADER
    )
    page = client.get(standard.get_absolute_url())
    assert [s.stand_in for s in page.context["progress"].current] == [""]
