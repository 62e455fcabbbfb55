"""Startup errors are one line naming the variable; the deploy check is clean behind HTTPS."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY")
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("url", ["not-a-url", "postgres://u@host:port/db", "postgres://"])
def test_malformed_database_url_stops_with_one_line(url):
    result = run_manage("check", DATABASE_URL=url)
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line]
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0] and "Traceback" not in result.stderr


def test_production_refuses_default_secret_key():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "configuration error: SECRET_KEY must be set to a long random value when DEBUG=0"
    ]


def test_bad_boolean_is_named():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0 and "DEBUG" in result.stderr


def test_deploy_check_clean_apart_from_https_proxy_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-value-1234567890",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="1",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_proxy_flags_only_https_warnings_remain():
    result = run_manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY="y" * 20 + "-a-long-random-production-secret-key-value-1234567890",
    )
    found = set(re.findall(r"\((security\.W\d+)\)", result.stderr))
    # W004: HSTS, W008: SSL redirect. Both belong to the HTTPS-terminating proxy.
    assert found == {"security.W004", "security.W008"}, result.stderr


def test_language_and_timezone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert "en" in dict(settings.LANGUAGES)
