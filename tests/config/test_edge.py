"""Malformed input is refused at the edge (config/middleware.py), before any view, form,
authentication backend or database sees it: a NUL byte anywhere in a request (PostgreSQL
cannot store or compare one), a body over DATA_UPLOAD_MAX_MEMORY_SIZE. JSON on the API,
a Chinese page elsewhere."""

import base64
import json

import pytest
from django.urls import reverse


def _basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _api_400(response):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "invalid"
    assert "NUL" in response.json()["message"]


@pytest.mark.parametrize(
    "username,password", [("zgb\x00", "x"), ("zgb", "pass\x00word"), ("\x00", "\x00")]
)
def test_nul_in_basic_credentials_is_400_before_the_login_throttle(
    cast, client, username, password
):
    from accounts.models import LoginThrottle

    response = client.get("/api/v1/me/", **_basic(username, password))
    _api_400(response)
    assert not LoginThrottle.objects.exists()


def test_nul_in_any_header_is_400(cast, client):
    _api_400(client.get("/api/v1/me/", HTTP_X_REQUESTED_WITH="a\x00b"))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/reports/intake/",
        "/api/v1/complaints/intake/",
        "/api/v1/reports/track/",
        "/api/v1/complaints/track/",
    ],
)
def test_nul_in_a_json_body_of_the_anonymous_intake_is_400(db, client, url):
    body = json.dumps({"title": "a\x00b", "code": "\x00", "description": "x"})
    _api_400(client.post(url, body, content_type="application/json"))


def test_nul_in_a_json_key_or_nested_value_is_400(db, client):
    for body in ({"a\x00": 1}, {"a": [{"b": ["\x00"]}]}):
        _api_400(
            client.post("/api/v1/reports/track/", json.dumps(body), content_type="application/json")
        )


def test_nul_in_a_multipart_field_is_400(db, client):
    _api_400(client.post("/api/v1/complaints/intake/", {"title": "a\x00b"}))


def test_nul_in_a_login_form_is_a_chinese_400_page(db, client, settings):
    settings.DEBUG = False
    response = client.post(reverse("accounts:login"), {"username": "zgb\x00", "password": "x"})
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_nul_in_the_reports_query_is_400(cast, login):
    client = login(cast.discipline_officer)
    _api_400(client.get("/api/v1/reports/", {"q": "a\x00"}))
    page = client.get(reverse("confidential:office_list"), {"q": "a\x00"})
    assert page.status_code == 400 and "空字符" in page.content.decode()


def test_nul_in_the_audit_action_filter_is_400(cast, login):
    response = login(cast.sysadmin).get(reverse("accounts:audit_list"), {"action": "\x00"})
    assert response.status_code == 400


def test_nul_in_a_query_key_is_400(cast, login):
    _api_400(login(cast.quality_officer).get("/api/v1/plans/?a%00=1"))


def test_a_clean_request_passes(cast, client):
    response = client.get("/api/v1/me/", **_basic("zgb", cast.password))
    assert response.status_code == 200
    assert response.json()["username"] == "zgb"


def test_an_oversized_api_body_is_a_json_413(cast, login, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = login(cast.quality_officer)
    body = json.dumps({"title": "x" * 2000})
    response = client.post("/api/v1/plans/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    form = client.post("/api/v1/plans/", {"title": "x" * 2000})
    assert form.status_code == 413 and form.json()["code"] == "too_large"


def test_an_oversized_form_is_a_chinese_413_page(cast, login, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.DEBUG = False
    response = login(cast.quality_officer).post(reverse("accounts:login"), {"username": "x" * 2000})
    assert response.status_code == 413
    assert "过大" in response.content.decode()


@pytest.mark.parametrize("url", ["/api/v1/no-such/", "/api/v1/plans/x/", "/api/v1/cases/1.5/"])
def test_an_unknown_api_url_is_a_json_404(cast, login, url):
    response = login(cast.quality_officer).get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_403_is_logged_without_a_traceback(cast, login, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        response = login(cast.student).get(reverse("accounts:roster_import"))
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and records[0].getMessage().startswith("Forbidden")
    assert all(r.exc_info is None for r in records)
