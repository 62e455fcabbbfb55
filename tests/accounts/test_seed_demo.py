from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import demo
from accounts.models import Membership, OrgUnit, Role, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_covers_every_role():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    counts = (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count())
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).count() >= 3
    assert demo.DEMO_PASSWORD not in out.getvalue()  # the logins are `demo_logins`'s, last
    call_command("seed_demo", stdout=StringIO())
    assert (OrgUnit.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert User.objects.get(username="xx_leader").check_password(demo.DEMO_PASSWORD)


@pytest.mark.django_db
def test_scale_bulk_creates_people_and_a_valid_tree():
    call_command("seed_demo", "--scale", "2", stdout=StringIO())
    assert User.objects.filter(username__startswith="s0000").count() == 2000
    assert OrgUnit.objects.filter(code__startswith="scale-d").count() == 2 * 16
    assert all(not p for p in OrgUnit.objects.find_problems())
    dept = OrgUnit.objects.get(code="scale-d00001")
    assert OrgUnit.objects.get_descendant_count(dept) == 15
    assert Membership.objects.filter(org_unit__path__startswith=dept.path).count() == 1000
    call_command("seed_demo", "--scale", "1", stdout=StringIO())  # adds more, never clashes
    assert OrgUnit.objects.filter(code="scale-d00002").exists()


@pytest.mark.django_db
def test_scale_rejects_nonsense():
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "-1", stdout=StringIO())


@pytest.mark.django_db
def test_demo_logins_lists_every_demo_account_with_its_roles():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()  # nothing to list yet: it says what to run
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert demo.DEMO_PASSWORD in lines[0]
    assert [line.split()[0] for line in lines[1:]] == [p[0] for p in demo.PEOPLE]
    assert "部门负责人" in out.getvalue()  # roles by their Chinese names
