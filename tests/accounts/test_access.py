"""Membership scoping: who sees and acts on which unit, through the access layer and the URLs."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts import access
from accounts.access import Cap
from accounts.models import Membership, Role

# role holder -> may they see 信息工程系 (xx) and 机电工程系 (jd)?
SCOPE_TABLE = [
    ("chair", True, True),
    ("committee_member", True, True),
    ("quality_officer", True, True),
    ("supervisor", True, True),
    ("discipline_officer", True, True),
    ("sysadmin", True, True),
    ("xx_leader", True, False),
    ("xx_member", True, False),
    ("software_lead", False, False),  # holds roles in 软件技术 only: sees the major, not the dept
    ("software_member", False, False),
    ("teacher", False, False),
    ("student", False, False),
    ("expert", False, False),
    ("outsider", False, False),
]


@pytest.mark.parametrize(("who", "sees_xx", "sees_jd"), SCOPE_TABLE)
def test_unit_pages_follow_membership_scope(cast, login, who, sees_xx, sees_jd):
    user = getattr(cast, who)
    client = login(user)
    for target, allowed in ((cast.units.xx, sees_xx), (cast.units.jd, sees_jd)):
        response = client.get(reverse("accounts:unit_detail", args=[target.pk]))
        assert response.status_code == (200 if allowed else 404), (who, target.name)
        assert access.can(user, Cap.UNIT_VIEW, target) is allowed


@pytest.mark.parametrize(
    "who", ["xx_leader", "xx_member", "software_lead", "software_member", "teacher", "student"]
)
def test_department_scoped_roles_never_reach_the_other_department(cast, login, who):
    user = getattr(cast, who)
    other = [cast.units.jd, cast.units.jdyt, cast.units.jdyt_plc]
    visible = set(access.visible_units(user).values_list("pk", flat=True))
    assert visible.isdisjoint({u.pk for u in other})
    assert cast.units.rj.pk in visible  # every one of them reaches the software major
    client = login(user)
    for target in other:
        assert client.get(reverse("accounts:unit_detail", args=[target.pk])).status_code == 404
        assert not access.can(user, Cap.UNIT_MANAGE, target)


def test_department_leader_manages_own_subtree_only(cast):
    leader = cast.xx_leader
    assert access.can(leader, Cap.UNIT_MANAGE, cast.units.rj_python)
    assert not access.can(leader, Cap.UNIT_MANAGE, cast.units.jdyt)
    assert not access.can(cast.xx_member, Cap.UNIT_MANAGE, cast.units.xx)


def test_visible_but_not_permitted_answers_403(cast, login):
    # The quality officer sees every unit but may not import... a teacher may see its unit and
    # may not use the roster page: that is a 403, not a 404.
    client = login(cast.teacher)
    assert client.get(reverse("accounts:roster_import")).status_code == 403
    assert client.get(reverse("accounts:audit_list")).status_code == 403
    with pytest.raises(access.PermissionDenied):
        access.get_unit(cast.teacher, cast.units.rj.pk, Cap.UNIT_MANAGE)


def test_membership_change_takes_effect_on_next_request(cast, login):
    client = login(cast.jd_leader)
    url = reverse("accounts:unit_detail", args=[cast.units.xx.pk])
    assert client.get(url).status_code == 404
    Membership.objects.create(
        user=cast.jd_leader, org_unit=cast.units.xx, role=Role.DEPARTMENT_MEMBER
    )
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=cast.jd_leader, org_unit=cast.units.xx).delete()
    assert client.get(url).status_code == 404


def test_deactivated_user_loses_everything(cast, login):
    client = login(cast.quality_officer)
    assert client.get(reverse("home")).status_code == 200
    cast.quality_officer.is_active = False
    cast.quality_officer.save()
    response = client.get(reverse("accounts:unit_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not access.can(cast.quality_officer, Cap.UNIT_VIEW, cast.units.xx)
    assert not access.visible_units(cast.quality_officer).exists()


def test_object_permission_grants_one_unit(cast, login):
    expert = cast.expert
    assert not access.visible_units(expert).exists()
    assign_perm("accounts.view_orgunit", expert, cast.units.rj)
    expert = type(expert).objects.get(pk=expert.pk)  # a new request
    assert list(access.visible_units(expert)) == [cast.units.rj]
    client = login(expert)
    assert client.get(reverse("accounts:unit_detail", args=[cast.units.rj.pk])).status_code == 200
    assert client.get(reverse("accounts:unit_detail", args=[cast.units.wl.pk])).status_code == 404


def test_object_permission_through_a_group(cast):
    panel = Group.objects.create(name="复核专家组")
    cast.outsider.groups.add(panel)
    assign_perm("accounts.view_orgunit", panel, cast.units.wl)
    assert list(access.visible_units(cast.outsider)) == [cast.units.wl]


def test_unit_list_is_one_query_for_any_role(cast, login, django_assert_max_num_queries):
    user = cast.xx_leader
    with django_assert_max_num_queries(3):
        names = [u.name for u in access.visible_units(user).order_by("path")]
    assert names == ["信息工程系", "软件技术", "Python程序设计", "计算机网络技术"]


def test_navigation_shows_only_what_the_role_may_use(cast, login):
    page = login(cast.student).get(reverse("home")).content.decode()
    assert reverse("accounts:roster_import") not in page
    assert reverse("admin:index") not in page
    page = login(cast.sysadmin).get(reverse("home")).content.decode()
    assert reverse("accounts:roster_import") in page and reverse("admin:index") in page


def test_api_lists_only_visible_units(cast, login):
    data = login(cast.jd_leader).get("/api/v1/units/").json()
    assert {row["code"] for row in data["results"]} == {"jd", "jdyt", "jdyt-c01"}
    me = login(cast.jd_leader).get("/api/v1/me/").json()
    assert me["memberships"][0]["role"] == Role.DEPARTMENT_LEADER


def test_a_college_wide_scope_stays_everything_when_combined(cast):
    """unit_filter's "everything" for a college-wide role survives an OR with another condition
    (Django drops an empty Q() from `x | Q()`, which once made the quality office's lists of
    its own work empty) and an AND; a subtree role's filter still narrows."""
    from django.db.models import Q

    from accounts.access import unit_filter
    from accounts.models import OrgUnit
    from workflows.plans.permissions import PlanCap

    every = OrgUnit.objects.count()
    college_wide = unit_filter(cast.quality_officer, PlanCap.TASK_WORK)
    assert OrgUnit.objects.filter(college_wide | Q(pk__in=[])).count() == every
    assert OrgUnit.objects.filter(Q(pk__in=[]) | college_wide).count() == every
    assert OrgUnit.objects.filter(college_wide & Q(code="xx")).count() == 1
    department = unit_filter(cast.xx_leader, PlanCap.TASK_WORK)
    narrowed = OrgUnit.objects.filter(department | Q(pk__in=[]))
    assert set(narrowed) == set(OrgUnit.objects.filter(path__startswith=cast.units.xx.path))
