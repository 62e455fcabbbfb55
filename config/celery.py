import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("zhengai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="zhengai.ping", bind=True)
def ping(self):
    """Liveness probe for workers. It answers with the worker's name and never touches the
    database, so it works whichever database the worker and the caller point at."""
    return {"pong": True, "hostname": self.request.hostname}
