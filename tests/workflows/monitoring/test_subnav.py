"""The monitoring sub-navigation names each page once and clearly: no label is another's part
(it said both 监测预警, for the dashboard, and 预警, for the warnings list)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["quality_officer", "xx_leader", "xx_member", "teacher"])
def test_each_subnav_label_is_one_clear_name(cast, client, role):
    client.force_login(getattr(cast, role))
    page = client.get(reverse("monitoring:dashboard")).content.decode()
    subnav = re.search(r'<p class="subnav">(.*?)</p>', page, re.S).group(1)
    labels = [label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", subnav)]
    assert "监测看板" in labels and "预警" in labels, labels
    for label in labels:
        others = [o for o in labels if o != label and label in o]
        assert not others, (label, others)
