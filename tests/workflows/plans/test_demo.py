import pytest
from django.core.management import CommandError, call_command

from workflows.plans.models import ItemState, Plan, Standard, Target, Task

pytestmark = pytest.mark.django_db


def test_seed_plans_builds_approved_chains_once(cast, login):
    call_command("seed_plans")
    assert Plan.objects.get(kind="general").state == ItemState.IN_FORCE
    assert Target.objects.filter(state=ItemState.IN_FORCE).count() == 15
    assert Standard.objects.filter(state=ItemState.IN_FORCE).count() == 15
    assert Task.objects.filter(lead_unit__isnull=False).count() == 6
    assert not Target.objects.filter(standards__isnull=True).exists()
    counts = (Plan.objects.count(), Task.objects.count())
    call_command("seed_plans")
    assert (Plan.objects.count(), Task.objects.count()) == counts
    page = login(cast.teacher).get("/plans/").content.decode()
    assert "专业建设规划" in page and "双师素质等结构" in page


def test_seed_plans_needs_the_demo_college(db):
    with pytest.raises(CommandError):
        call_command("seed_plans")
