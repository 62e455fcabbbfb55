"""A form sent from an improvement's page and refused comes back with what was typed and the
error under its own field (engine.forms.form_run), not a redirect with a general message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.workflows.monitoring.factories import open_improvement
from workflows.monitoring import services
from workflows.monitoring.models import Improvement, Warning

pytestmark = pytest.mark.django_db

TYPED = "与三所中学签订合作协议，宣讲十二场。"


@pytest.fixture
def item(cast, mon, approved):
    approved(mon.employment, mon.rj, "70")
    return open_improvement(cast, mon, Warning.objects.get(), owner=cast.software_member)


def test_a_refused_attachment_keeps_the_evidence_text(cast, item, login):
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    page = login(cast.software_member).post(
        f"/monitoring/improvements/{item.pk}/submit/", {"evidence": TYPED, "evidence_file": exe}
    )
    assert page.status_code == 200
    form = page.context["evidence_form"]
    assert form.errors == {"evidence_file": ["不接受此类文件。"]}
    html = page.content.decode()
    assert TYPED in html and "不接受此类文件。" in html and "请说明佐证材料。" not in html
    item.refresh_from_db()
    assert item.status == "open" and item.evidence == ""


def test_an_empty_effectiveness_check_keeps_the_choice(cast, item, login):
    services.improvement_submit(actor=cast.software_member, improvement=item, evidence=TYPED)
    page = login(cast.xx_leader).post(
        f"/monitoring/improvements/{item.pk}/sign-off/", {"effective": "0", "note": ""}
    )
    assert page.status_code == 200
    form = page.context["sign_off_form"]
    assert list(form.errors) == ["note"] and form["effective"].value() == "0"
    assert Improvement.objects.get().status == "submitted"
