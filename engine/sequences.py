from django.db import connection

from .models import Sequence


def next_value(key: str) -> int:
    """The next number of a named series. An upsert that holds the row lock until the caller's
    transaction ends, so concurrent callers queue and never share a number; a rolled-back caller
    leaves no gap, a crash between steps may."""
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, value) VALUES (%s, 1) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1 RETURNING value",
            [key],
        )
        return cursor.fetchone()[0]
