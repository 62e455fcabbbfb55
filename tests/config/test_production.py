"""The README's production path: collectstatic with DEBUG=0, then the README's own gunicorn line,
spoken to as the HTTPS proxy would (Host, X-Forwarded-Proto), over the test database."""

import gzip
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import User

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[2]
HOST = "zg.test"
PASSWORD = "Smoke-pass-2026"
START_SECONDS = 120  # four workers importing Django on a busy 2-core machine
TEMPLATE_STATIC = re.compile(r"""{%\s*static\s+['"]([^'"]+)['"]\s*%}""")
STATIC_URL = re.compile(r"""(?:href|src)=["'](/static/[^"'?#]+)""")


def readme_gunicorn() -> list[str]:
    """The gunicorn line of the README's production block, split as the shell would."""
    block = re.search(r"^## Production$.*?^```sh$(.*?)^```$", readme(), re.S | re.M)[1]
    [line] = [line for line in block.splitlines() if line.startswith(".venv/bin/gunicorn ")]
    return shlex.split(line, comments=True)


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_readme_gunicorn_has_a_timeout_for_pages():
    args = readme_gunicorn()
    timeout = int(args[args.index("--timeout") + 1])
    assert 10 <= timeout <= 60, "pages answer in seconds; long work belongs to Celery"


def _database_url(tmp_path) -> str:
    """The test database as another process reaches it: PostgreSQL by name, SQLite (in memory,
    already migrated) copied to a file."""
    connection.ensure_connection()
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        target = tmp_path / "db.sqlite3"
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        return f"sqlite:///{target}"
    assert connection.vendor == "postgresql"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _production_env(tmp_path, database_url) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "LOG_LEVEL")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="smoke-test-" + "k" * 50,
        ALLOWED_HOSTS=HOST,
        CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
        SITE_URL=f"https://{HOST}",
        BEHIND_HTTPS_PROXY="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="1",
        DATABASE_URL=database_url,
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


class Proxy:
    """What the HTTPS proxy sends on: the public host, X-Forwarded-Proto, the session's cookies
    (Secure cookies, which a plain-HTTP client library would keep to itself)."""

    def __init__(self, port):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, form=None, headers=(), files=None):
        """`files`: {field: (file name, bytes)}, sent with `form` as a browser sends an upload."""
        conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", **dict(headers)}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if files:
            body, sent["Content-Type"] = _multipart(form or {}, files)
        elif form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if body is not None:
            sent["Origin"] = f"https://{HOST}"
            sent["Referer"] = f"https://{HOST}{path}"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, content

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)


def _multipart(form: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in form.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n')
        parts.append(f"{value}\r\n")
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(content)
        parts.append("\r\n")
    parts.append(f"--{boundary}--\r\n")
    body = b"".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    return body, f"multipart/form-data; boundary={boundary}"


def _start(args, env, log):
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", Path(log.name).read_text())
        if found:
            return process, int(found[1])
        if process.poll() is not None:
            break
        time.sleep(0.2)
    _stop(process)
    pytest.fail("gunicorn did not start:\n" + Path(log.name).read_text())


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _static_urls(html: bytes) -> list[str]:
    return STATIC_URL.findall(html.decode())


@pytest.mark.django_db(transaction=True)
def test_readme_production_path_serves_pages_static_files_and_chinese_errors(tmp_path):
    # The suite hashes with MD5 for speed; the server knows only the production hashers.
    User.objects.create(
        username="smoke",
        full_name="冒烟测试",
        password=PBKDF2PasswordHasher().encode(PASSWORD, "smoketestsalt", iterations=1000),
    )
    env = _production_env(tmp_path, _database_url(tmp_path))
    connection.close()  # PostgreSQL: the server's workers are the ones talking to it now

    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    used = {
        name
        for template in (ROOT / "templates").rglob("*.html")
        for name in TEMPLATE_STATIC.findall(template.read_text())
    }
    assert "css/app.css" in used
    assert used <= manifest.keys(), used - manifest.keys()

    gunicorn = readme_gunicorn()
    program = Path(sys.executable).with_name("gunicorn")
    bind = gunicorn.index("-b") + 1
    args = [str(program), *gunicorn[1:bind], "127.0.0.1:0", *gunicorn[bind + 1 :]]
    with (tmp_path / "gunicorn.log").open("w") as log:
        server, port = _start(args, env, log)
        try:
            _walk_the_site(Proxy(port), {f"/static/{manifest[name]}" for name in used})
            if connection.vendor == "postgresql":
                _assert_workers_keep_their_connections()
        finally:
            _stop(server)
    output = (tmp_path / "gunicorn.log").read_text()
    assert "Forbidden (Permission denied): /accounts/roster/import/" in output
    assert "Traceback" not in output, output


def _assert_workers_keep_their_connections():
    """A worker that answered keeps its PostgreSQL connection for the next request (a backend
    started per request costs more than a light page)."""
    time.sleep(1)  # a connection closed per request is gone once its response has been sent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        [kept] = cursor.fetchone()
    connection.close()
    assert kept >= 1


def _walk_the_site(proxy, template_static):
    response, page = proxy.get("/accounts/login/")
    assert response.status == 200, page[:2000]
    assert "登录" in page.decode()
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    static = set(template_static) | set(_static_urls(page))
    [css] = [url for url in _static_urls(page) if "/css/app." in url]
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", css)
    response, body = proxy.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/css")
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")
    assert b"{" in gzip.decompress(body)

    response, page = proxy.get("/no-such-page/")
    assert response.status == 404 and "页面不存在" in page.decode()

    _, page = proxy.get("/accounts/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1].decode()
    response, page = proxy.request(
        "POST",
        "/accounts/login/",
        form={"csrfmiddlewaretoken": token, "username": "smoke", "password": PASSWORD},
    )
    assert (response.status, response.getheader("Location")) == (302, "/"), page[:2000]

    response, page = proxy.get("/accounts/roster/import/")
    assert response.status == 403 and "无权访问" in page.decode()

    # Every file the templates and these pages name is served: the project's (echarts, the
    # chart scripts), the admin's, and drf-spectacular's Swagger UI (from its sidecar package).
    for path in ("/admin/login/", "/api/v1/docs/"):
        response, page = proxy.get(path)
        assert response.status == 200, (path, page[:2000])
        static.update(_static_urls(page))
    assert any("swagger-ui" in url for url in static)
    assert any(url.startswith("/static/admin/css/") for url in static)
    for url in sorted(static):
        response, _ = proxy.get(url)
        assert response.status == 200, url
