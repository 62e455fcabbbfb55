"""An upload's preview says a value has changed (有变化), not that a vote was changed (改票); its
readings batch is approved by the upload's name, not by its internal code."""

import pytest

from workflows.statedata.models import Upload

from .conftest import zyzs

pytestmark = pytest.mark.django_db


def test_a_changed_value_reads_as_changed_and_the_batch_by_its_file(cast, sd, login):
    client = login(cast.quality_officer)
    client.post(
        f"/statedata/profiles/{sd.zyzs.pk}/upload/",
        {"file": zyzs([["rj", "", "2026-2027", "", "80", ""]], name="报到率-第一版.xlsx")},
    )
    first = Upload.objects.get()
    client.post(f"/statedata/uploads/{first.pk}/confirm/")
    client.post(
        f"/statedata/profiles/{sd.zyzs.pk}/upload/",
        {"file": zyzs([["rj", "", "2026学年", "", "0.85", ""]], name="报到率-第二版.xlsx")},
    )
    second = Upload.objects.latest("pk")
    page = client.get(f"/statedata/uploads/{second.pk}/").content.decode()
    assert "<td>有变化</td>" in page and "改票" not in page
    assert "<td>0.85</td><td>80</td><td>有变化</td>" in page

    approvals = login(sd.head).get("/monitoring/approvals/").content.decode()
    assert f"整批审核通过：{first}" in approvals and "报到率-第一版.xlsx" in approvals
    assert f"statedata:{first.pk}</button>" not in approvals
