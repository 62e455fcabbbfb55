import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import views
from cases.models import Status as S

from .factories import advance, file_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("case_catalogue")]


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name", ["cases:list", "cases:inbox"])
def test_queries_per_page_do_not_grow_with_rows_or_page_size(cast, client, monkeypatch, url_name):
    client.force_login(cast.xx_leader)
    url = reverse(url_name)
    file_case(cast.teacher, cast.units.rj)
    few = _queries(client, url)
    for i in range(12):
        file_case(cast.teacher, cast.units.rj, title=f"案件{i}")
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    small_page = _queries(client, url)
    monkeypatch.setattr(views, "PAGE_SIZE", 50)
    big_page = _queries(client, url)
    assert few == small_page == big_page


def test_list_filters(cast, client):
    a = file_case(cast.teacher, cast.units.rj, title="实训室漏水")
    b = file_case(cast.teacher, cast.units.jdyt, title="考试作弊")
    client.force_login(cast.quality_officer)
    listed = client.get(reverse("cases:list"), {"unit": cast.units.xx.pk}).context["page"]
    assert list(listed.object_list) == [a]
    listed = client.get(reverse("cases:list"), {"q": "作弊"}).context["page"]
    assert list(listed.object_list) == [b]
    listed = client.get(reverse("cases:list"), {"status": "closed"}).context["page"]
    assert list(listed.object_list) == []


def test_the_case_inbox_lists_what_the_one_inbox_and_the_home_card_count(cast, login):
    """A step named to someone else (the investigator 黄丽) is theirs: the department leader's
    待我处理的案件 page does not list it, as his home card and 我的待办 do not count it."""
    case = advance(cast, file_case(cast.student, cast.units.rj), S.INVESTIGATING)
    waiting = {}
    for person in (cast.xx_leader, cast.xx_member):
        client = login(person)
        listed = client.get(reverse("cases:inbox")).context["page"].object_list
        card = next(
            c for c in client.get(reverse("home")).context["cards"] if "案件" in str(c.title)
        )
        waiting[person.username] = (case in listed, card.count)
    assert waiting == {"xx_leader": (False, 0), "xx_member": (True, 1)}
