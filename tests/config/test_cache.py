"""The cache: a database table every worker shares without Redis; with Redis, one client object
per connection pool (config/cache.py), on Django's own Redis client."""

import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends import redis as django_redis
from django.db import connection

from config.cache import RedisCache

needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="REDIS_URL is not set")


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="REDIS_URL is set")
def test_the_cache_without_redis_is_a_shared_table(db):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    cache.set("shared-key", "信息工程系", timeout=60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a setting, not input
        assert cursor.fetchone()[0] == 1
    assert cache.get("shared-key") == "信息工程系"


def test_django_redis_client_keeps_the_shape_the_shared_client_relies_on():
    # config/cache.py replaces get_client only: it needs the pool getter and the client class
    client = django_redis.RedisCacheClient(["redis://127.0.0.1:6379/0"])
    assert callable(client._get_connection_pool)
    assert client._client is redis.Redis
    assert django_redis.RedisCache("redis://127.0.0.1:6379/0", {})._class is (
        django_redis.RedisCacheClient
    )


@needs_redis
def test_the_redis_cache_builds_one_client_per_pool_and_still_works():
    assert settings.CACHES["default"]["BACKEND"] == "config.cache.RedisCache"
    backend = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"t{os.getpid()}"})
    first = backend._cache.get_client(write=True)
    assert backend._cache.get_client(write=False) is first
    assert backend.add("key", "信息工程系", timeout=30)
    assert not backend.add("key", "another", timeout=30)
    assert backend.get("key") == "信息工程系"
    backend.delete("key")
    assert backend.get("key") is None
    assert backend._cache.get_client(write=True) is first
