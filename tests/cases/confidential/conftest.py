import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    """Own media folder and empty rate-limit counters for every test."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()
