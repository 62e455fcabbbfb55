"""Org units, memberships and accounts managed in the app, through its pages, by the cast."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry, GrantableRole, Membership, OrgUnit, Role
from engine.models import Deadline

K = OrgUnit.Kind


def test_quality_office_creates_renames_and_moves_a_unit(cast, login):
    client = login(cast.quality_officer)
    response = client.post(
        reverse("accounts:unit_create"),
        {"parent": cast.units.xx.pk, "name": "人工智能技术", "code": "ai", "kind": K.MAJOR},
    )
    unit = OrgUnit.objects.get(code="ai")
    assert response.status_code == 302 and OrgUnit.objects.get_parent(unit) == cast.units.xx
    created = AuditEntry.objects.get(action="orgunit.create")
    assert created.actor == cast.quality_officer and created.after["parent"] == cast.units.xx.pk

    client.post(reverse("accounts:unit_rename", args=[unit.pk]), {"name": "人工智能应用技术"})
    unit.refresh_from_db()
    assert unit.name == "人工智能应用技术"
    renamed = AuditEntry.objects.get(action="orgunit.rename")
    assert renamed.before["name"] == "人工智能技术" and renamed.after["name"] == unit.name

    client.post(reverse("accounts:unit_move", args=[unit.pk]), {"parent": cast.units.jd.pk})
    unit.refresh_from_db()
    assert OrgUnit.objects.get_parent(unit) == cast.units.jd
    moved = AuditEntry.objects.get(action="orgunit.move")
    assert moved.before["parent"] == cast.units.xx.pk and moved.after["parent"] == cast.units.jd.pk


def test_unit_rules_are_errors_on_the_form(cast, login):
    client = login(cast.sysadmin)
    wrong_place = client.post(
        reverse("accounts:unit_create"),
        {"parent": cast.units.jwc.pk, "name": "某专业", "code": "x1", "kind": K.MAJOR},
    )
    assert wrong_place.status_code == 200
    assert "parent" in wrong_place.context["form"].errors
    taken = client.post(
        reverse("accounts:unit_create"),
        {"parent": cast.units.xx.pk, "name": "重复", "code": "rj", "kind": K.MAJOR},
    )
    assert taken.status_code == 200 and "code" in taken.context["form"].errors
    under_itself = client.post(
        reverse("accounts:unit_move", args=[cast.units.xx.pk]), {"parent": cast.units.rj.pk}
    )
    assert under_itself.status_code == 200 and under_itself.context["form"].errors
    assert not OrgUnit.objects.filter(code__in=["x1"]).exists()
    assert not AuditEntry.objects.exists()


def test_department_leader_cannot_edit_the_tree(cast, login):
    client = login(cast.xx_leader)
    assert client.get(reverse("accounts:unit_create")).status_code == 403
    assert client.get(reverse("accounts:unit_close", args=[cast.units.rj.pk])).status_code == 403
    # a unit they cannot see is not found rather than forbidden
    assert client.get(reverse("accounts:unit_rename", args=[cast.units.jd.pk])).status_code == 404


def test_closing_a_unit_needs_its_open_work_handed_over(cast, login):
    deadline = Deadline.objects.create(
        content_type=ContentType.objects.get_for_model(OrgUnit),
        object_id=str(cast.units.wl.pk),
        kind="test",
        owner_unit=cast.units.wl,
        due_at=timezone.now() + datetime.timedelta(days=3),
    )
    Membership.objects.create(user=cast.teacher, org_unit=cast.units.wl, role=Role.TEACHER)
    client = login(cast.quality_officer)
    page = client.get(reverse("accounts:unit_close", args=[cast.units.wl.pk]))
    assert page.status_code == 200
    refused = client.post(
        reverse("accounts:unit_close", args=[cast.units.wl.pk]), {"confirm": "on"}
    )
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    cast.units.wl.refresh_from_db()
    assert cast.units.wl.is_active

    closed = client.post(
        reverse("accounts:unit_close", args=[cast.units.wl.pk]),
        {"confirm": "on", "hand_over_to": cast.units.rj.pk},
    )
    assert closed.status_code == 302
    cast.units.wl.refresh_from_db()
    assert not cast.units.wl.is_active and cast.units.wl.closed_at is not None
    deadline.refresh_from_db()
    assert deadline.owner_unit == cast.units.rj
    assert Membership.objects.filter(
        user=cast.teacher, org_unit=cast.units.rj, role=Role.TEACHER
    ).exists()
    assert not Membership.objects.filter(org_unit=cast.units.wl).exists()
    entry = AuditEntry.objects.get(action="orgunit.close")
    assert entry.before["is_active"] and not entry.after["is_active"]
    assert entry.after["handed_over_to"] == cast.units.rj.pk


def test_a_unit_with_open_cases_cannot_be_closed(cast, login):
    from cases.models import Case
    from tests.cases.factories import file_case

    file_case(cast.student, cast.units.jdyt_plc)
    response = login(cast.sysadmin).post(
        reverse("accounts:unit_close", args=[cast.units.jd.pk]),
        {"confirm": "on", "hand_over_to": cast.units.xx.pk},
    )
    assert response.status_code == 200
    assert "案件" in str(response.context["form"].non_field_errors())
    cast.units.jd.refresh_from_db()
    assert cast.units.jd.is_active and Case.objects.count() == 1


def test_department_leader_manages_members_in_the_department(cast, login):
    """The observed defect: the unit page sent department leaders to the administration pages."""
    client = login(cast.xx_leader)
    page = client.get(reverse("accounts:unit_detail", args=[cast.units.rj.pk])).content.decode()
    assert reverse("accounts:unit_members", args=[cast.units.rj.pk]) in page
    assert reverse("admin:index") not in page.split("<main", 1)[-1]

    members = reverse("accounts:unit_members", args=[cast.units.rj.pk])
    assert client.get(members).status_code == 200
    response = client.post(members, {"user": cast.outsider.username, "role": Role.CLASS_ADVISER})
    assert response.status_code == 302
    added = Membership.objects.get(user=cast.outsider, role=Role.CLASS_ADVISER)
    assert AuditEntry.objects.get(action="membership.add").actor == cast.xx_leader

    # committee roles are not theirs to grant
    refused = client.post(members, {"user": cast.outsider.username, "role": Role.COMMITTEE_MEMBER})
    assert refused.status_code == 200 and "role" in refused.context["form"].errors
    # nor is another department
    other = reverse("accounts:unit_members", args=[cast.units.jdyt.pk])
    assert client.get(other).status_code == 404

    client.post(reverse("accounts:membership_remove", args=[cast.units.rj.pk, added.pk]))
    assert not Membership.objects.filter(pk=added.pk).exists()
    assert AuditEntry.objects.get(action="membership.remove").before["role"] == Role.CLASS_ADVISER


def test_grantable_roles_are_data(cast, login):
    members = reverse("accounts:unit_members", args=[cast.units.rj.pk])
    GrantableRole.objects.filter(granter_role=Role.DEPARTMENT_LEADER).delete()
    assert login(cast.xx_leader).get(members).status_code == 403
    GrantableRole.objects.create(granter_role=Role.DEPARTMENT_LEADER, role=Role.STUDENT)
    response = login(cast.xx_leader).post(
        members, {"user": cast.outsider.username, "role": Role.STUDENT}
    )
    assert response.status_code == 302


def test_quality_office_grants_committee_roles(cast, login):
    members = reverse("accounts:unit_members", args=[cast.units.committee.pk])
    response = login(cast.quality_officer).post(
        members, {"user": cast.teacher.username, "role": Role.COMMITTEE_MEMBER}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=cast.teacher, role=Role.COMMITTEE_MEMBER).exists()


def test_system_admin_deactivates_and_reactivates_an_account(cast, login):
    client = login(cast.sysadmin)
    page = client.get(reverse("accounts:user_list"), {"q": "student"})
    assert page.status_code == 200 and "郑小明" in page.content.decode()
    url = reverse("accounts:user_set_active", args=[cast.student.pk])
    client.post(url, {"active": "0"})
    cast.student.refresh_from_db()
    assert not cast.student.is_active
    client.post(url, {"active": "1"})
    cast.student.refresh_from_db()
    assert cast.student.is_active
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "user.deactivate",
        "user.activate",
    ]
    assert login(cast.quality_officer).get(reverse("accounts:user_list")).status_code == 403
    assert login(cast.xx_leader).post(url, {"active": "0"}).status_code == 403
