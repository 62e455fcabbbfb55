"""A rectification notice's receipt (回执) is signed by the receiving unit's people only: the
department that issued the notice above it may not sign for it, neither on the page nor in
their inbox; the unit's own team leader signs it."""

from django.urls import reverse

from cases.models import Notice
from cases.models import Status as S
from engine.models import Notification
from tests.cases.factories import advance, file_case
from tests.engine.test_steps import inbox_rows


def test_only_the_receiving_unit_signs_the_receipt(cast, client):
    case = advance(cast, file_case(cast.student, cast.units.rj), S.RECTIFYING)
    notice = case.notices.get()
    assert case.responsible_unit == cast.units.rj and notice.status == Notice.Status.ISSUED
    url = reverse("cases:notice_action", args=[notice.pk, "receipt"])
    for issuer in (cast.xx_member, cast.xx_leader):
        client.force_login(issuer)
        assert client.post(url).status_code == 403, issuer
        assert Notice.objects.get(pk=notice.pk).status == Notice.Status.ISSUED
        assert not [r for r in inbox_rows(client, issuer) if r.obj == case], issuer
    rows = [r for r in inbox_rows(client, cast.software_lead) if r.obj == case]
    assert [r.flow_task.name for r in rows] == ["receipt"]
    client.force_login(cast.software_lead)
    assert client.post(url).status_code == 302
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.RECEIVED
    # the department above sees the rectification step from then on
    assert [r.flow_task.name for r in inbox_rows(client, cast.xx_leader) if r.obj == case] == [
        "rectify"
    ]


def test_a_unit_nobody_acts_for_has_its_department_sign_the_receipt(cast, client):
    """A notice of the quality office to a major without a team leader (机电一体化技术): the
    receipt step waited for the major, where nobody could sign, and the department above could
    not either; the case stopped there. Its department now signs, is told, and has the step."""
    case = advance(
        cast,
        file_case(cast.teacher, cast.units.jwc),
        S.RECTIFYING,
        responsible_unit=cast.units.jdyt,
    )
    assert case.accepting_unit == cast.units.zgb
    notice = case.notices.get()
    assert Notification.objects.filter(recipient=cast.jd_leader, kind="case.notice").exists()
    rows = [r for r in inbox_rows(client, cast.jd_leader) if r.obj == case]
    assert [r.flow_task.name for r in rows] == ["receipt"]
    client.force_login(cast.jd_leader)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "待办理：机电工程系" in page
    url = reverse("cases:notice_action", args=[notice.pk, "receipt"])
    assert client.post(url).status_code == 302
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.RECEIVED
    # and the rectification step after it is the department's too
    assert "待办理：机电工程系" in client.get(case.get_absolute_url()).content.decode()


def test_the_issuing_department_is_not_told_to_sign_its_own_notice(cast, client):
    """The department that issued a notice to its major was told 贵单位收到通知书…请签收回执, a
    receipt it may not sign, and, when it returned the report, of its own return."""
    case = advance(cast, file_case(cast.student, cast.units.rj), S.VERIFYING)
    client.force_login(cast.xx_leader)
    url = reverse("cases:notice_action", args=[case.notices.get().pk, "verify"])
    assert client.post(url, {"verdict": "return", "reason": "佐证不足"}).status_code == 302
    for kind in ("case.notice", "case.returned"):
        told = Notification.objects.filter(kind=kind).values_list("recipient", flat=True)
        assert set(told) == {cast.software_lead.pk}, kind
