"""A page offers a link only to those its target lets in (engine_tags.holds): the walk of the
demo found 导入任务 answering 403 to teachers and students, and 诊断项目参考表 to the expert."""

import pytest
from django.urls import reverse

from tests.workflows.review.factories import forwarded_report, round_in_review

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("page", "target"),
    [("plans:index", "plans:import_upload"), ("review:report_list", "review:catalogue_list")],
)
def test_a_link_is_offered_to_whom_its_page_answers(cast, login, page, target):
    # the expert reaches the reports through a review assignment
    round_in_review(cast, [forwarded_report(cast)])
    offered = {}
    for person in (cast.quality_officer, cast.teacher, cast.student, cast.expert):
        client = login(person)
        response = client.get(reverse(page))
        if response.status_code != 200:
            continue
        linked = f'href="{reverse(target)}"' in response.content.decode()
        offered[person.username] = linked
        assert linked == (client.get(reverse(target)).status_code == 200), person.username
    # both answers are walked: someone is offered the link, someone is not
    assert set(offered.values()) == {True, False}, offered
