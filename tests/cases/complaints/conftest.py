import pytest

from engine.deadlines import ensure_rule


@pytest.fixture(autouse=True)
def isolated(db, settings, tmp_path):
    """Own media folder and the supervision rule (transactional tests elsewhere flush what the
    migrations loaded)."""
    settings.MEDIA_ROOT = tmp_path
    ensure_rule("case.supervision", label="督办答复")
    yield
