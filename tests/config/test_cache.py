"""Without Redis the cache is a database table that every worker process shares."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

pytestmark = pytest.mark.skipif(bool(settings.REDIS_URL), reason="REDIS_URL is set")


def test_the_cache_without_redis_is_a_shared_table(db):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    cache.set("shared-key", "信息工程系", timeout=60)
    table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - a setting, not input
        assert cursor.fetchone()[0] == 1
    assert cache.get("shared-key") == "信息工程系"
