"""The real services behind settings: Redis as broker and cache, and a real Celery worker."""

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from config.celery import app as celery_app
from config.celery import ping

ROOT = Path(__file__).resolve().parents[2]
WORKER_REPLY_SECONDS = 90  # a cold worker on a busy 2-core machine needs several seconds


@pytest.mark.redis
def test_broker_carries_a_message_through_redis():
    queue_name = f"zg-test-broker-{uuid.uuid4().hex[:10]}"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.transport.driver_type == "redis"
        queue = conn.SimpleQueue(queue_name)
        try:
            queue.put({"hello": "诊改"})
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"hello": "诊改"}
        finally:
            queue.clear()
            queue.close()
    redis.Redis.from_url(settings.REDIS_URL).delete(f"_kombu.binding.{queue_name}")


@pytest.mark.redis
def test_cache_round_trip_lands_in_redis():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    key = f"zg-test-cache-{uuid.uuid4().hex}"
    raw = redis.Redis.from_url(settings.REDIS_URL)
    try:
        cache.set(key, {"单位": "信息工程系", "n": 3}, timeout=30)
        assert cache.get(key) == {"单位": "信息工程系", "n": 3}
        assert raw.exists(cache.make_key(key)) == 1
        assert 0 < raw.ttl(cache.make_key(key)) <= 30
    finally:
        cache.delete(key)
    assert raw.exists(cache.make_key(key)) == 0
    assert cache.get(key) is None


@pytest.mark.worker
def test_a_real_worker_answers_ping():
    name = f"zg-test-{uuid.uuid4().hex[:10]}"
    queue_name = f"{name}-q"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-P",
        "solo",
        "-Q",
        queue_name,
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "warning",
    ]
    with tempfile.TemporaryFile(mode="w+") as log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT
        )
        result = None
        try:
            result = ping.apply_async(queue=queue_name)
            try:
                reply = result.get(timeout=WORKER_REPLY_SECONDS)
            except Exception:
                log.seek(0)
                pytest.fail(f"worker did not answer (exit code {worker.poll()}):\n{log.read()}")
            assert reply["pong"] is True
            assert reply["hostname"].startswith(f"{name}@")
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if result is not None:
                result.forget()
            redis.Redis.from_url(settings.REDIS_URL).delete(f"_kombu.binding.{queue_name}")
