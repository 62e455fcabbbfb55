"""A case opened from a class observation leads back to it: a link on the case's page for whoever
may open the observation, its name as plain text for anyone else, and no address in the text."""

import pytest
from django.urls import reverse

from cases.models import Case
from workflows.observations.access import can_view
from workflows.observations.models import Observation

from .conftest import sheet

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_in_process")]


def test_the_case_page_links_back_to_the_observation(cast, obs, client):
    client.force_login(cast.supervisor)
    client.post(reverse("observations:new"), sheet(obs, cast.units.rj_python, cast.teacher))
    observation = Observation.objects.get()
    client.post(reverse("observations:open_case", args=[observation.pk]))
    case = Case.objects.get()
    assert observation.get_absolute_url() not in case.description

    page = client.get(case.get_absolute_url()).content.decode()
    link = f'<a href="{observation.get_absolute_url()}">{observation}</a>'
    assert "<th>听课记录</th>" in page and link in page

    # 黄丽 works the case for 信息工程系 but may not open the observation: its name, no link
    assert not can_view(cast.xx_member, observation)
    client.force_login(cast.xx_member)
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"<th>听课记录</th><td>{observation}</td>" in page
    assert observation.get_absolute_url() not in page
