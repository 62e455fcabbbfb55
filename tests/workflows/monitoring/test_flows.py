"""Monitoring's human steps in the one inbox and on the progress line (workflows.monitoring.flows):
a reading waits for its approver, a warning for the team that answers it, an improvement for its
owner and then for the leader who checks it. Clicked through the pages."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from tests.factories import UserFactory
from tests.workflows.monitoring.factories import open_improvement
from workflows.monitoring.models import Improvement, Reading, Warning

pytestmark = pytest.mark.django_db


def waiting(client, user, obj):
    client.force_login(user)
    page = client.get(reverse("engine:inbox"))
    assert page.status_code == 200
    return [row.flow_task.name for row in page.context["rows"] if row.obj == obj]


def enter(client, cast, mon, value):
    client.force_login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {"indicator": mon.employment.pk, "subject": "rj", "period": mon.y2026.pk, "value": value},
    )
    return Reading.objects.order_by("-pk").first()


def test_reading_warning_and_improvement_steps_reach_the_right_inboxes(
    cast, mon, client, django_capture_on_commit_callbacks
):
    second = UserFactory(full_name="第二主任")
    Membership.objects.create(user=second, org_unit=cast.units.xx, role=Role.DEPARTMENT_LEADER)
    reading = enter(client, cast, mon, "80")
    for leader in (cast.xx_leader, second):
        assert waiting(client, leader, reading) == ["approve"], leader
    assert waiting(client, cast.xx_member, reading) == []
    client.force_login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/readings/{reading.pk}/approve/")
    for leader in (cast.xx_leader, second):
        assert waiting(client, leader, reading) == [], leader

    # the red warning waits for 软件技术's team leader, due by its response deadline
    warning = Warning.objects.get()
    assert waiting(client, cast.software_lead, warning) == ["acknowledge"]
    row = next(r for r in client.get(reverse("engine:inbox")).context["rows"] if r.obj == warning)
    assert row.due is not None and row.unit == cast.units.rj
    line = client.get(warning.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == ["软件技术 专业（课程）负责人"]
    assert line.current[0].due == row.due

    # an improvement answers it: the warning's step is done, the owner's is open
    client.post(
        f"/monitoring/warnings/{warning.pk}/improve/",
        {
            "title": "提高就业率",
            "cause_analysis": "校企合作岗位不足",
            "measures": "新增三家合作企业",
            "owner": cast.software_member.pk,
            "deadline": "2030-03-31",
        },
    )
    improvement = Improvement.objects.get()
    assert waiting(client, cast.software_lead, warning) == []
    line = client.get(warning.get_absolute_url()).context["progress"]
    assert not line.current and [s.who for s in line.done] == [str(cast.software_lead)]
    assert waiting(client, cast.software_member, improvement) == ["submit"]
    client.force_login(cast.software_member)
    line = client.get(improvement.get_absolute_url()).context["progress"]
    assert [s.who for s in line.current] == [str(cast.software_member)]
    assert line.current[0].due.date().isoformat() == "2030-03-31"
    assert [str(t) for t in line.after] == ["检查改进成效"]

    # submitted: the department's leaders check it; sent back, it is the owner's again
    client.post(f"/monitoring/improvements/{improvement.pk}/submit/", {"evidence": "三份协议"})
    assert waiting(client, cast.software_member, improvement) == []
    for leader in (cast.xx_leader, second):
        assert waiting(client, leader, improvement) == ["sign_off"], leader
    client.force_login(second)
    client.post(
        f"/monitoring/improvements/{improvement.pk}/sign-off/", {"effective": "0", "note": "不足"}
    )
    for leader in (cast.xx_leader, second):
        assert waiting(client, leader, improvement) == [], leader
    assert waiting(client, cast.software_member, improvement) == ["submit"]
    line = client.get(improvement.get_absolute_url()).context["progress"]
    assert [s.who for s in line.done] == [str(cast.software_member), str(second)]


def test_a_rejected_reading_leaves_the_inbox(cast, mon, client):
    reading = enter(client, cast, mon, "80")
    client.force_login(cast.xx_leader)
    client.post(f"/monitoring/readings/{reading.pk}/reject/", {"reason": "口径不对"})
    reading.refresh_from_db()
    assert reading.status == "rejected"
    assert waiting(client, cast.xx_leader, reading) == []


def test_an_improvement_its_owner_leads_is_checked_by_the_quality_office(
    cast, mon, client, django_capture_on_commit_callbacks
):
    """The department's only leader owns the improvement: can_sign_off refuses one's own work,
    so the check goes to the quality office instead of waiting on him for ever. The owner opens
    the improvement although its subject (a major) is not theirs to view otherwise."""
    reading = enter(client, cast, mon, "80")
    client.force_login(cast.xx_leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/monitoring/readings/{reading.pk}/approve/")
    warning = Warning.objects.get()
    # the department's leader also teaches in the major, and takes the improvement on
    Membership.objects.create(user=cast.xx_leader, org_unit=cast.units.rj, role=Role.TEAM_MEMBER)
    client.force_login(cast.software_lead)
    response = client.post(
        f"/monitoring/warnings/{warning.pk}/improve/",
        {
            "title": "提高就业率",
            "cause_analysis": "岗位不足",
            "measures": "新增合作企业",
            "owner": cast.xx_leader.pk,
            "deadline": "2030-03-31",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    improvement = Improvement.objects.get()
    client.force_login(cast.xx_leader)
    assert client.get(improvement.get_absolute_url()).status_code == 200
    client.post(f"/monitoring/improvements/{improvement.pk}/submit/", {"evidence": "协议"})
    assert waiting(client, cast.xx_leader, improvement) == []
    assert waiting(client, cast.quality_officer, improvement) == ["sign_off"]
    client.force_login(cast.quality_officer)
    # the page says why the quality office checks it
    [check] = client.get(improvement.get_absolute_url()).context["progress"].current
    assert check.stand_in == "（信息工程系无人可办理，暂由质量管理办公室代办）"
    client.post(
        f"/monitoring/improvements/{improvement.pk}/sign-off/", {"effective": "1", "note": "有效"}
    )
    improvement.refresh_from_db()
    assert improvement.status == "closed"


def _enter_for(client, cast, mon, subject, value):
    client.force_login(cast.xx_member)
    client.post(
        "/monitoring/readings/new/",
        {
            "indicator": mon.employment.pk,
            "subject": subject,
            "period": mon.y2026.pk,
            "value": value,
        },
    )
    return Reading.objects.order_by("-pk").first()


def test_an_approver_decides_many_readings_at_once_all_or_none(cast, mon, client):
    from accounts.models import AuditEntry

    first = _enter_for(client, cast, mon, "rj", "95")
    second = _enter_for(client, cast, mon, "wl", "96")
    assert first != second
    client.force_login(cast.xx_leader)
    page = client.get(reverse("monitoring:approvals")).content.decode()
    assert 'form="bulk" name="reading"' in page and "批量审核通过" in page

    # returning needs one reason for all
    client.post(reverse("monitoring:readings_decide"), {"reading": [first.pk, second.pk]})
    client.post(
        reverse("monitoring:readings_decide"),
        {"reading": [first.pk, second.pk], "decision": "return", "reason": ""},
    )
    assert set(
        Reading.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {"pending"}
    # one of them entered by the approver himself: nothing at all is decided
    own = _enter_for(client, cast, mon, "rj", "97")
    own_by_leader = Reading.objects.filter(pk=own.pk)
    own_by_leader.update(entered_by=cast.xx_leader)
    client.force_login(cast.xx_leader)
    response = client.post(
        reverse("monitoring:readings_decide"),
        {"reading": [first.pk, second.pk, own.pk], "decision": "approve"},
        follow=True,
    )
    assert "本次未做任何更改" in response.content.decode()
    assert not Reading.objects.filter(status="approved").exists()

    client.post(
        reverse("monitoring:readings_decide"),
        {"reading": [first.pk, second.pk], "decision": "approve"},
    )
    assert set(
        Reading.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {"approved"}
    assert AuditEntry.objects.filter(action="reading.approve").count() == 2
    assert (
        waiting(client, cast.xx_leader, first) == []
        and waiting(client, cast.xx_leader, second) == []
    )
    # a tick that is not a reading id is a 400, not a 500
    assert client.post(reverse("monitoring:readings_decide"), {"reading": ["x"]}).status_code == 400


def _two_warnings_raised(cast, mon, client, capture):
    """Readings below target for 软件技术 and 计算机网络技术, approved by their department: two
    warnings."""
    readings = [_enter_for(client, cast, mon, code, "80") for code in ("rj", "wl")]
    client.force_login(cast.xx_leader)
    with capture(execute=True):
        client.post(
            reverse("monitoring:readings_decide"),
            {"reading": [r.pk for r in readings], "decision": "approve"},
        )


def test_a_responder_acknowledges_many_warnings_at_once_all_or_none(
    cast, mon, client, django_capture_on_commit_callbacks
):
    _two_warnings_raised(cast, mon, client, django_capture_on_commit_callbacks)
    warnings = list(Warning.objects.order_by("pk"))
    assert len(warnings) == 2 and {w.status for w in warnings} == {"open"}
    ids = [w.pk for w in warnings]

    # 软件技术's team leader answers for his major only: nothing is acknowledged
    client.force_login(cast.software_lead)
    page = client.get(reverse("monitoring:warning_list")).content.decode()
    assert 'form="bulk" name="warning"' in page and "批量确认" in page
    response = client.post(
        reverse("monitoring:warnings_acknowledge"), {"warning": ids}, follow=True
    )
    assert "本次未做任何更改" in response.content.decode()
    assert {w.status for w in Warning.objects.all()} == {"open"}

    # the department's leader answers for both
    client.force_login(cast.xx_leader)
    client.post(reverse("monitoring:warnings_acknowledge"), {"warning": ids})
    assert {w.status for w in Warning.objects.all()} == {"acknowledged"}
    assert waiting(client, cast.software_lead, warnings[0]) == []
    assert (
        client.post(reverse("monitoring:warnings_acknowledge"), {"warning": "1;"}).status_code
        == 400
    )


def test_the_home_warnings_card_counts_what_its_link_opens(
    cast, mon, client, django_capture_on_commit_callbacks
):
    """The home page's warnings card counts the warnings the person must acknowledge and opens
    exactly them (the inbox, narrowed to warnings), for whoever looks; the warnings they only
    see (the quality office sees every unit's) stay on the warning list."""
    _two_warnings_raised(cast, mon, client, django_capture_on_commit_callbacks)
    assert Warning.objects.filter(status="open").count() == 2
    counted = {}
    for user in (cast.software_lead, cast.xx_leader, cast.quality_officer, cast.teacher):
        client.force_login(user)
        cards = [c for c in client.get("/").context["cards"] if "预警" in str(c.title)]
        if not cards:
            counted[user.username] = 0
            continue
        (card,) = cards
        assert card.title == "待我确认的预警"
        opened = client.get(card.url).context["rows"]
        assert card.count == len(opened) == len({row.obj for row in opened}), user
        assert {type(row.obj) for row in opened} <= {Warning}
        counted[user.username] = card.count
    assert counted[cast.software_lead.username] == 1  # his major's, not the department's two
    assert counted[cast.quality_officer.username] == 0  # sees all, answers none
    client.force_login(cast.quality_officer)
    assert client.get(reverse("monitoring:warning_list")).context["page"].paginator.count == 2


def test_whoever_an_improvement_is_given_to_reads_the_warning_it_answers(
    cast, mon, client, django_capture_on_commit_callbacks
):
    _two_warnings_raised(cast, mon, client, django_capture_on_commit_callbacks)
    warning = Warning.objects.get(subject=mon.rj)
    client.force_login(cast.teacher)
    assert client.get(warning.get_absolute_url()).status_code == 404
    item = open_improvement(cast, mon, warning, owner=cast.teacher)
    page = client.get(reverse("monitoring:improvement_detail", args=[item.pk])).content.decode()
    assert f'href="{warning.get_absolute_url()}"' in page
    assert client.get(warning.get_absolute_url()).status_code == 200
    # and finds it in the ledger (was 台账为空 for an owner outside the ledger's scope)
    ledger = client.get(reverse("monitoring:improvement_list")).content.decode()
    assert reverse("monitoring:improvement_detail", args=[item.pk]) in ledger
