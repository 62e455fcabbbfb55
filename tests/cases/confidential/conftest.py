import pytest


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    """Own media folder for every test (rate-limit counters are rows, rolled back with the test)."""
    settings.MEDIA_ROOT = tmp_path
    yield


@pytest.fixture
def as_user():
    """A separate signed-in client per person (the shared `login` client switches user)."""
    from django.test import Client

    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client
