import logging
import sys

import pytest
from django.urls import reverse

from config.log import ClientErrorsWithoutTraceback


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["broker"] == ("ok" if settings.REDIS_URL else "eager")


@pytest.mark.django_db
def test_healthz_503_when_broker_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable", "status": "unavailable"}


@pytest.mark.django_db
def test_unknown_url_is_a_chinese_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_forbidden_is_a_chinese_403_page(cast, login, settings):
    settings.DEBUG = False
    response = login(cast.student).get(reverse("accounts:roster_import"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page and "Traceback" not in page


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )
    assert client.get(reverse("accounts:login")).status_code == 200


@pytest.mark.django_db
def test_openapi_schema(client, cast):
    client.force_login(cast.teacher)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/units/" in response.content


@pytest.mark.django_db
def test_the_api_s_address_leads_to_its_documentation(client, cast):
    client.force_login(cast.teacher)
    response = client.get("/api/v1/", follow=True)
    assert response.redirect_chain == [("/api/v1/docs/", 302)]
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_browsable_api_names_its_pages_in_chinese(client, cast):
    client.force_login(cast.quality_officer)
    for path, title in (("/api/v1/cases/", "案件"), ("/api/v1/monitoring/warnings/", "预警")):
        page = client.get(path, HTTP_ACCEPT="text/html").content.decode()
        assert f"<h1>{title}</h1>" in page.replace("\n", "").replace(" ", ""), path


@pytest.mark.django_db
def test_api_errors_are_json(client):
    response = client.get("/api/v1/units/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    assert "/api/v1/units/" in target.read_text()


def test_forbidden_is_logged_without_a_traceback(cast, login, settings, caplog):
    settings.DEBUG = False
    with caplog.at_level("WARNING", logger="django.request"):
        response = login(cast.student).get(reverse("accounts:roster_import"))
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /accounts/roster/import/"
    assert record.exc_info is None and record.exc_text is None
    assert "Traceback" not in caplog.text


def test_server_errors_keep_their_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", (), exc_info)
    record.status_code = 500
    assert ClientErrorsWithoutTraceback().filter(record) and record.exc_info == exc_info
    record.status_code = 403
    assert ClientErrorsWithoutTraceback().filter(record) and record.exc_info is None


@pytest.mark.django_db
def test_the_site_has_a_favicon(client):
    """/favicon.ico (asked by browsers whatever a page links) leads to the static icon, which
    every page links, with the SVG and phone home-screen versions."""
    import io

    from django.contrib.staticfiles import finders
    from django.templatetags.static import static
    from PIL import Image

    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == static("favicon.ico")
    with Image.open(finders.find("favicon.ico")) as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    with open(finders.find("apple-touch-icon.png"), "rb") as f:
        assert Image.open(io.BytesIO(f.read())).size == (180, 180)
    assert finders.find("favicon.svg")
    page = client.get(reverse("accounts:login")).content.decode()
    for name in ("favicon.ico", "favicon.svg", "apple-touch-icon.png"):
        assert f'href="{static(name)}"' in page, name
