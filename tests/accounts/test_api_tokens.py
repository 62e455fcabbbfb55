"""Personal API tokens: made, listed and revoked by their owner on the page, audited, used by
scripts as `Authorization: Token <key>`."""

import re

import pytest

from accounts.api_tokens import key_hash
from accounts.models import ApiToken, AuditEntry

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="(zg_[\w-]+)"')


def make_token(client, name="成绩同步脚本"):
    page = client.post("/accounts/tokens/", {"name": name})
    assert page.status_code == 200
    return KEY.search(page.content.decode()).group(1)


def test_a_person_makes_a_token_sees_it_once_and_a_script_uses_it(client, login, cast):
    login(cast.teacher)
    key = make_token(client)
    token = ApiToken.objects.get(user=cast.teacher)
    assert token.key_hash == key_hash(key) and key not in token.key_hash
    listed = client.get("/accounts/tokens/").content.decode()
    assert "成绩同步脚本" in listed and token.prefix in listed and key not in listed
    assert AuditEntry.objects.filter(
        action="accounts.api_token.create", actor=cast.teacher
    ).exists()

    client.logout()
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200 and me.json()["username"] == "teacher"
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(client, login, cast):
    login(cast.teacher)
    key = make_token(client)
    token = ApiToken.objects.get(user=cast.teacher)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="accounts.api_token.revoke").exists()
    client.logout()
    refused = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 403
    assert refused.json()["message"]


def test_nobody_revokes_or_sees_another_persons_token(client, login, cast):
    login(cast.teacher)
    make_token(client)
    token = ApiToken.objects.get(user=cast.teacher)
    client.logout()
    login(cast.quality_officer)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert "成绩同步脚本" not in client.get("/accounts/tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_deactivated_persons_token_is_refused(client, login, cast):
    login(cast.teacher)
    key = make_token(client)
    client.logout()
    cast.teacher.is_active = False
    cast.teacher.save(update_fields=["is_active"])
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token zg_forged", "Bearer \xff"])
def test_a_malformed_or_forged_header_is_refused_with_a_message(client, cast, header):
    answer = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 403
    assert answer.json()["message"]


def test_a_token_needs_a_name_and_the_number_of_tokens_is_capped(client, login, cast, settings):
    settings.API_TOKENS_PER_USER = 2
    login(cast.teacher)
    nameless = client.post("/accounts/tokens/", {"name": "  "})
    assert nameless.status_code == 400
    make_token(client, "一")
    make_token(client, "二")
    third = client.post("/accounts/tokens/", {"name": "三"})
    assert third.status_code == 400
    assert "已有 2 个令牌" in third.content.decode()
    assert ApiToken.objects.filter(user=cast.teacher).count() == 2


def test_the_schema_documents_the_token_scheme(client, login, cast):
    login(cast.teacher)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "tokenAuth" in schema["components"]["securitySchemes"]
