"""Rate limits that hold across worker processes, and a check question whose answer the client
cannot read from what it is given."""

import base64
import contextlib
import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils.crypto import salted_hmac

from cases.confidential import intake
from tests.cases.confidential.factories import challenge_answer

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db

WORKER = """
import os, sys, time
import django
django.setup()
from cases.confidential import intake
hits, rate, start = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
passed = 0
for _ in range(hits):
    try:
        intake.hit("race", "one-client", rate)
    except intake.RateLimited:
        continue
    passed += 1
print(passed)
"""

SETUP_SQLITE = """
import django
django.setup()
from django.db import connection
from cases.confidential.models import RateCounter
with connection.schema_editor() as editor:
    editor.create_model(RateCounter)
"""


def _run_workers(database_url: str, *, workers: int, hits: int, rate: str) -> list[int]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    start = time.time() + 4  # every process has set Django up and waits for the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(hits), rate, str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(int(out.strip()))
    return results


def test_exactly_the_limit_passes_across_processes_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url}
    subprocess.run([sys.executable, "-c", SETUP_SQLITE], cwd=ROOT, env=env, check=True)
    passed = _run_workers(url, workers=3, hits=8, rate="10/h")
    assert sum(passed) == 10, passed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_the_limit_passes_across_processes_on_postgresql():
    db = django_settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    passed = _run_workers(url, workers=4, hits=10, rate="15/h")
    assert sum(passed) == 15, passed


def test_a_new_window_opens_when_the_old_one_ends():
    from datetime import timedelta

    from freezegun import freeze_time

    with freeze_time("2026-12-03 08:00:00") as clock:
        for _ in range(2):
            intake.hit("w", "client", "2/m")
        with pytest.raises(intake.RateLimited):
            intake.hit("w", "client", "2/m")
        clock.tick(timedelta(seconds=61))
        intake.hit("w", "client", "2/m")
        intake.hit("w", "client", "2/m")
        with pytest.raises(intake.RateLimited):
            intake.hit("w", "client", "2/m")


@pytest.mark.django_db
def test_limits_do_not_live_in_a_per_process_cache(settings):
    """Counts are kept in the database even when the cache is per process (LocMem)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from cases.confidential.models import RateCounter

    intake.hit("report-file", "client-x", "5/h")
    assert RateCounter.objects.get().count == 1


def _decodings(token: str):
    """Everything a client can get out of the token without the server's secret."""
    for part in token.split(":"):
        for pad in ("", "=", "=="):
            try:
                raw = base64.urlsafe_b64decode(part + pad)
            except (ValueError, TypeError):
                continue
            yield raw
            with contextlib.suppress(zlib.error):
                yield zlib.decompress(raw)


def test_challenge_token_does_not_carry_the_answer():
    for _ in range(30):
        challenge = intake.new_challenge()
        answer = challenge_answer(challenge)
        payload = signing.b64_decode(challenge.token.split(":")[0].lstrip(".").encode())
        if challenge.token.startswith("."):
            payload = zlib.decompress(payload)
        data = json.loads(payload)
        assert answer not in data.values() and str(answer) not in data.values()
        for raw in _decodings(challenge.token):
            text = raw.decode("latin-1")
            assert f'"s":{answer}' not in text.replace(" ", "")
            assert f":{answer}," not in text and f":{answer}}}" not in text


def test_the_answer_cannot_be_brute_forced_without_the_server_secret():
    challenge = intake.new_challenge()
    answer = challenge_answer(challenge)
    data = signing.loads(challenge.token, salt="cases.intake.challenge")
    leaked = json.dumps(data)
    # Trying every possible sum against every value with a guessed key finds nothing.
    for guess in range(0, 100):
        for secret in ("", "django-insecure", "guess"):
            for msg in (str(guess), f"{data.get('n')}:{guess}", f"{guess}:{data.get('n')}"):
                for algorithm in ("sha1", "sha256"):
                    mac = salted_hmac("cases.intake.challenge", msg, secret, algorithm=algorithm)
                    assert mac.hexdigest() not in leaked
    # The token only works with the server's secret.
    with override_settings(SECRET_KEY="x" * 60), pytest.raises(ValidationError):
        intake.check_challenge(challenge.token, answer)
    intake.check_challenge(challenge.token, answer)


def test_same_answer_gives_unrelated_tokens():
    seen: dict[int, set[str]] = {}
    for _ in range(60):
        challenge = intake.new_challenge()
        data = signing.loads(challenge.token, salt="cases.intake.challenge")
        values = {v for v in data.values() if isinstance(v, str)}
        bucket = seen.setdefault(challenge_answer(challenge), set())
        assert not (values & bucket)
        bucket |= values
