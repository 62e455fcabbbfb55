"""A rectification notice's receipt (回执) is signed by the receiving unit's people only: the
department that issued the notice above it may not sign for it, neither on the page nor in
their inbox; the unit's own team leader signs it."""

from django.urls import reverse

from cases.models import Notice
from cases.models import Status as S
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
