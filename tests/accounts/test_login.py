import pytest
from django.urls import reverse

from tests.factories import PASSWORD


def test_wrong_password_gives_a_generic_error(cast, client):
    response = client.post(reverse("accounts:login"), {"username": "teacher", "password": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误" in page
    response = client.post(reverse("accounts:login"), {"username": "no-such-user", "password": "x"})
    assert "用户名或密码错误" in response.content.decode()


def test_login_reaches_home_in_chinese(cast, client):
    response = client.post(
        reverse("accounts:login"), {"username": "xx_leader", "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "系主任" in page or "部门负责人" in page
    assert "我的待办" in page


def test_english_is_selectable(cast, client):
    client.force_login(cast.teacher)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "My to-do" in page


@pytest.mark.django_db
def test_password_change(cast, client):
    client.force_login(cast.teacher)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Brand-new-2026!",
            "new_password2": "Brand-new-2026!",
        },
    )
    assert response.status_code == 302
    cast.teacher.refresh_from_db()
    assert cast.teacher.check_password("Brand-new-2026!")


def test_english_browser_still_gets_chinese_until_switched(cast, client):
    client.force_login(cast.teacher)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "我的待办" in page


def test_the_trivial_page_says_who_is_signed_in_and_nothing_else(cast, client):
    """/accounts/me/: the floor of the page benchmarks and the load run."""
    assert client.get("/accounts/me/").status_code == 302
    client.force_login(cast.teacher)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/accounts/me/")
    assert response.json() == {"username": "teacher", "name": str(cast.teacher)}
    assert len(queries) <= 2  # the session and the user
