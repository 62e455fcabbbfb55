"""Two nodes on the same PostgreSQL and Redis: what one worker picks up, the other never runs;
a session or a login throttle on one app node holds on the other."""

import re
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import User
from tests.config.test_production import (
    PASSWORD,
    Proxy,
    _database_url,
    _production_env,
    _start,
    _stop,
)
from tests.worker_tasks import record
from tests.workers import wait_for

JOBS = 40

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.worker
def test_a_job_picked_by_one_worker_is_not_run_by_the_other(workers, tmp_path):
    for name in ("node-a", "node-b"):
        workers.start("--include", "tests.worker_tasks", "-n", f"{name}@%h")
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    wait_for(
        lambda: all(log.exists() and " ready." in log.read_text() for log in logs),
        what="both workers to be ready",
    )
    done = tmp_path / "done"
    done.mkdir()
    for n in range(JOBS):
        record.apply_async(args=[str(done), n])
    wait_for(lambda: len(list(done.iterdir())) == JOBS, what="every job to run")
    time.sleep(2)  # a second run of any job (a redelivery, say) would land meanwhile
    runs = {path.name: path.read_text().split() for path in done.iterdir()}
    assert sorted(map(int, runs)) == list(range(JOBS))
    assert all(len(hosts) == 1 for hosts in runs.values()), "a job ran twice"
    by_node = {host.split("@")[0] for hosts in runs.values() for host in hosts}
    assert by_node == {"node-a", "node-b"}, "both workers took jobs"


@pytest.mark.production
def test_two_app_nodes_share_sessions_and_the_login_throttle(tmp_path, settings):
    """Two gunicorn nodes behind one proxy: a session opened on one is valid on the other, and
    failed logins spread over both add up to one throttle."""
    User.objects.create(
        username="smoke",
        full_name="冒烟测试",
        password=PBKDF2PasswordHasher().encode(PASSWORD, "smoketestsalt", iterations=1000),
    )
    env = _production_env(tmp_path, _database_url(tmp_path))
    # no collectstatic here (test_production walks that path): pages name unhashed files
    env.update(DEBUG="1", REDIS_URL=settings.REDIS_URL)
    connection.close()
    program = str(Path(sys.executable).with_name("gunicorn"))
    nodes, ports, logs = [], [], []
    try:
        for name in ("a", "b"):
            log = (tmp_path / f"node-{name}.log").open("w")
            logs.append(log)
            args = [program, "config.wsgi", "-w", "1", "-b", "127.0.0.1:0", "--timeout", "30"]
            node, port = _start(args, env, log)
            nodes.append(node)
            ports.append(port)
        a, b = Proxy(ports[0]), Proxy(ports[1])
        b.cookies = a.cookies  # one browser, whichever node the proxy picks

        def login(via, password):
            _, page = a.get("/accounts/login/")
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()
            form = {"csrfmiddlewaretoken": token, "username": "smoke", "password": password}
            return via.request("POST", "/accounts/login/", form=form)

        response, page = login(b, PASSWORD)
        assert (response.status, response.getheader("Location")) == (302, "/"), page[:2000]
        response, page = a.get("/")
        assert response.status == 200 and "冒烟测试" in page.decode()

        a.cookies.clear()
        for attempt in range(settings.LOGIN_FREE_FAILURES + 1):
            response, _page = login([a, b][attempt % 2], "wrong-password")
            assert response.status == 200  # the form again, with its error
        response, _page = login([a, b][(settings.LOGIN_FREE_FAILURES + 1) % 2], PASSWORD)
        assert response.status == 429 and int(response.getheader("Retry-After")) > 0
    finally:
        for node in nodes:
            _stop(node)
        for log in logs:
            log.close()
