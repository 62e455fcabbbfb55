import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    """Own media folder and empty rate-limit counters for every test."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def as_user():
    """A separate signed-in client per person (the shared `login` client switches user)."""
    from django.test import Client

    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client
