"""The Redis cache with one client object per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` on every call (get, add, set, delete): the
pool under it is shared, but building the client fills its table of response callbacks, ~0.3 ms
of CPU per cache call: a tenth of a case step's CPU (its outbox nudge) and paid again on every
page (the session is read from the cache). A client is thread-safe and its pool notices a fork
by itself, so one per pool does. Only `get_client` is replaced; tests/config/test_cache.py fails
if Django's client stops having the shape this relies on.
"""

from django.core.cache.backends import redis as django_redis


class _OneClientPerPool(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        # pools live as long as this object, so their id() stays theirs
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
