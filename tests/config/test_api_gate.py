"""The API's gate (config.permissions.SignedInWithCapability): a create endpoint answers 403 to
a caller who holds no capability to create there, before it reads the body; a caller who does
gets the 400 about the body."""

import pytest

pytestmark = pytest.mark.django_db

# path, who may create there (cast attribute)
GATED = [
    ("/api/v1/units/", "sysadmin"),
    ("/api/v1/review/rounds/", "quality_officer"),
    ("/api/v1/review/reports/", "software_lead"),
    ("/api/v1/observations/", "supervisor"),
    ("/api/v1/monitoring/readings/", "quality_officer"),
]


@pytest.mark.parametrize("path,holder", GATED)
def test_a_create_endpoint_refuses_before_reading_the_body(cast, client, path, holder):
    for outsider in (cast.outsider, cast.student):
        client.force_login(outsider)
        refused = client.post(path, {}, content_type="application/json")
        assert refused.status_code == 403, (path, outsider, refused.content)
        assert refused.json()["code"] == "forbidden"
    client.force_login(getattr(cast, holder))
    read = client.post(path, {}, content_type="application/json")
    assert read.status_code == 400, (path, read.content)


def test_signed_out_callers_are_still_told_to_sign_in(client):
    assert client.post("/api/v1/units/", {}, content_type="application/json").status_code in (
        401,
        403,
    )
    assert client.get("/api/v1/cases/").status_code in (401, 403)
