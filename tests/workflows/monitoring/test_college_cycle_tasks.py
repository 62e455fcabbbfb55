"""The college's own cycle (学校层面) is made of the college's plans' tasks, whoever leads them:
its page and the annual quality report count them (they read 0 of 0 while the annual work plan
had its task table)."""

import pytest
from django.urls import reverse

from workflows.levels import Level
from workflows.monitoring.models import Cycle
from workflows.plans.models import Task

pytestmark = pytest.mark.django_db


def test_the_college_cycle_lists_the_college_plans_tasks(cast, mon, chains, login):
    u = cast.units
    Task.objects.create(
        plan=chains.root,
        category="健全组织",
        title="学校成立质量保证委员会",
        deliverable="成立文件",
        lead_unit=u.zgb,
        import_key="qa-1",
    )
    college = Cycle.objects.create(
        subject=mon.college, period=mon.y2026, level=Level.SCHOOL, responsible_unit=u.college
    )
    major = Cycle.objects.create(
        subject=mon.rj, period=mon.y2026, level=Level.MAJOR, responsible_unit=u.rj
    )
    office = login(cast.quality_officer)
    page = office.get(reverse("monitoring:cycle_detail", args=[college.pk])).content.decode()
    assert "学校成立质量保证委员会" in page
    assert "没有以本对象为牵头或协助单位的规划任务" not in page
    # a major's cycle still lists its own tasks only
    page = office.get(reverse("monitoring:cycle_detail", args=[major.pk])).content.decode()
    assert "新增三家校企合作企业" in page and "学校成立质量保证委员会" not in page

    from workflows.monitoring.cycle_report import _college_cycle
    from workflows.review.annual import AssemblyContext

    section = _college_cycle(AssemblyContext(year=mon.y2026.start.year))
    assert "1 项规划任务中 0 项已完成" in " ".join(section.paragraphs), section.paragraphs
