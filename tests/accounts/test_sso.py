"""Single sign-on against a real CAS 3 server: django-cas-server, served by the same live server
(CAS_LOCAL_SERVER), validating tickets over HTTP as the college's server would."""

import re
import time

import pytest
import requests
from django.conf import settings as django_settings

from accounts.models import Membership, User

pytestmark = pytest.mark.skipif(
    "cas_server" not in django_settings.INSTALLED_APPS,
    reason="the local CAS server is installed only with CAS_LOCAL_SERVER (DEBUG by default)",
)

INPUT = re.compile(r"<input[^>]*>", re.S)
ATTR = re.compile(r'(\w+)="([^"]*)"')


@pytest.fixture
def cas(live_server, settings, transactional_db):
    """CAS_SERVER_URL points at the live server's /cas/, which knows this site as a service:
    the user it sends is the staff number, with single logout on."""
    from accounts.sso import register_local_service

    settings.CAS_SERVER_URL = f"{live_server.url}/cas/"
    assert register_local_service(live_server.url)
    return live_server.url


def _form_fields(html: str) -> dict:
    fields = {}
    for tag in INPUT.findall(html):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    return fields


def cas_login(session: requests.Session, base: str, username: str, password: str, next_="/"):
    """What a person's browser does: our SSO link, the CAS login form, back with a ticket."""
    page = session.get(f"{base}/accounts/sso/login/", params={"next": next_}, timeout=20)
    assert "/cas/login" in page.url, page.url
    fields = _form_fields(page.text)
    fields.update(username=username, password=password)
    return session.post(page.url, data=fields, timeout=20)


@pytest.fixture
def teacher(cast):
    cast.teacher.staff_no = "T2019001"
    cast.teacher.save(update_fields=["staff_no"])
    return cast.teacher


def test_login_page_offers_unified_identity_first(cas, cast):
    page = requests.get(f"{cas}/accounts/login/", timeout=20).text
    assert page.index('id="sso-login"') < page.index('id="id_username"')
    assert "统一身份认证" in page


def test_a_person_logs_in_through_cas_matched_by_staff_number(cas, cast, teacher):
    # The display name is not what matches: another person shares it.
    User.objects.create_user(username="other", full_name="吴芳", staff_no="T2020002")
    session = requests.Session()
    landed = cas_login(session, cas, "teacher", cast.password, next_="/inbox/")
    assert landed.status_code == 200
    assert landed.url == f"{cas}/inbox/"
    me = session.get(f"{cas}/api/v1/me/", timeout=20).json()
    assert me["username"] == "teacher"


def test_a_next_page_off_the_site_is_not_followed(cas, cast, teacher):
    landed = cas_login(
        requests.Session(), cas, "teacher", cast.password, next_="https://evil.test/"
    )
    assert landed.url == f"{cas}/"


def test_an_unknown_number_gets_a_chinese_page_and_no_account(cas, cast, settings):
    settings.CAS_AUTH_CLASS = "cas_server.auth.TestAuthUser"
    settings.CAS_TEST_ATTRIBUTES = {"staff_no": "S9999", "full_name": "新同学"}
    users = User.objects.count()
    landed = cas_login(requests.Session(), cas, "test", "test")
    assert landed.status_code == 403
    assert "S9999" in landed.text
    assert "没有该工号/学号的账户" in landed.text
    assert User.objects.count() == users


def test_an_unknown_number_gets_an_account_without_roles_when_allowed(cas, cast, settings):
    settings.CAS_AUTH_CLASS = "cas_server.auth.TestAuthUser"
    settings.CAS_TEST_ATTRIBUTES = {"staff_no": "S9999", "full_name": "新同学"}
    settings.CAS_CREATE_USER = True
    landed = cas_login(requests.Session(), cas, "test", "test")
    assert landed.status_code == 200
    made = User.objects.get(staff_no="S9999")
    assert not made.has_usable_password()
    assert not Membership.objects.filter(user=made).exists()


def test_a_deactivated_person_is_refused_with_a_reason(cas, cast, teacher):
    teacher.is_active = False
    teacher.save(update_fields=["is_active"])
    landed = cas_login(requests.Session(), cas, "teacher", cast.password)
    assert landed.status_code == 403
    assert "停用" in landed.text


def test_logging_out_here_logs_out_at_the_cas_server(cas, cast, teacher):
    session = requests.Session()
    cas_login(session, cas, "teacher", cast.password)
    home = session.get(f"{cas}/", timeout=20)
    token = _form_fields(home.text)["csrfmiddlewaretoken"]
    out = session.post(
        f"{cas}/accounts/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{cas}/"},
        timeout=20,
    )
    assert any("/cas/logout" in r.headers.get("Location", "") for r in out.history)
    assert session.get(f"{cas}/api/v1/me/", timeout=20).status_code in (401, 403)
    # The CAS session is gone too: the SSO link asks for the password again.
    again = session.get(f"{cas}/accounts/sso/login/", timeout=20)
    assert 'name="password"' in again.text


def test_logging_out_at_the_cas_server_ends_the_session_here(cas, cast, teacher):
    session = requests.Session()
    cas_login(session, cas, "teacher", cast.password)
    assert session.get(f"{cas}/api/v1/me/", timeout=20).status_code == 200
    # The server sends its single-logout request to this site in the background.
    session.get(f"{cas}/cas/logout", timeout=20)
    for _ in range(50):
        if session.get(f"{cas}/api/v1/me/", timeout=20).status_code != 200:
            break
        time.sleep(0.1)
    assert session.get(f"{cas}/api/v1/me/", timeout=20).status_code in (401, 403)


@pytest.mark.django_db
def test_password_login_can_be_kept_for_administrators_only(client, cast, settings):
    settings.CAS_SERVER_URL = "https://cas.example.edu.cn/cas/"
    settings.LOCAL_LOGIN = "admins"
    page = client.get("/accounts/login/").content.decode()
    assert 'id="sso-login"' in page
    assert 'id="id_password"' not in page
    assert "?local=1" in page
    refused = client.post("/accounts/login/", {"username": "teacher", "password": cast.password})
    assert refused.status_code == 200
    assert "统一身份认证" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    admitted = client.post("/accounts/login/", {"username": "admin", "password": cast.password})
    assert admitted.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.sysadmin.pk)


@pytest.mark.django_db
def test_without_a_cas_server_the_login_page_is_the_password_form(client, cast, settings):
    settings.CAS_SERVER_URL = ""
    page = client.get("/accounts/login/").content.decode()
    assert 'id="sso-login"' not in page
    assert 'id="id_password"' in page
    assert client.get("/accounts/sso/login/").status_code == 302


def test_a_demo_person_logs_in_through_the_local_cas_as_the_readme_says(cas):
    """README "Trying it locally": each demo account's staff number is its user name."""
    from accounts.demo import DEMO_PASSWORD, seed_demo

    seed_demo()
    session = requests.Session()
    landed = cas_login(session, cas, "zgb", DEMO_PASSWORD)
    assert landed.status_code == 200 and landed.url == f"{cas}/"
    assert session.get(f"{cas}/api/v1/me/", timeout=20).json()["username"] == "zgb"


def test_the_site_registers_again_on_another_address(cas):
    from cas_server.models import ServicePattern

    from accounts.sso import register_local_service

    register_local_service("http://zg.example.edu.cn:8000")
    pattern = ServicePattern.objects.get(name="诊改 Engine")
    assert pattern.pattern.startswith("^http://zg\\.example\\.edu\\.cn:8000")
    assert ServicePattern.objects.count() == 1
