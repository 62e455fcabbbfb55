import pytest

from config.celery import app

# monitoring's objects, for the walks over every step table (test_holders)
from tests.workflows.monitoring.conftest import approved, mon  # noqa: F401


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Run Celery tasks in-process, even when REDIS_URL points at a real broker, except in tests
    that bring their own broker and worker."""
    if request.node.get_closest_marker("worker") or request.node.get_closest_marker("redis"):
        yield
        return
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
