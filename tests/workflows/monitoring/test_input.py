"""Malformed query parameters on the monitoring pages are a 404, never a 500."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("name", ["warning_list", "improvement_list"])
@pytest.mark.parametrize("unit", ["abc", "1.5", "-"])
def test_a_non_numeric_unit_is_a_400_naming_the_filter(cast, login, name, unit):
    response = login(cast.quality_officer).get(reverse(f"monitoring:{name}"), {"unit": unit})
    assert response.status_code == 400 and "责任单位" in response.content.decode()


@pytest.mark.parametrize("name", ["warning_list", "improvement_list"])
def test_a_unit_the_user_may_not_see_is_404(cast, login, name):
    response = login(cast.teacher).get(reverse(f"monitoring:{name}"), {"unit": cast.units.jd.pk})
    assert response.status_code == 404


def test_a_known_unit_still_filters(cast, login):
    response = login(cast.quality_officer).get(
        reverse("monitoring:warning_list"), {"unit": cast.units.xx.pk}
    )
    assert response.status_code == 200
