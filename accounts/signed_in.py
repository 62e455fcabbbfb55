"""The signed-in person as every page loads them: with the figures the page frame shows of them
(the bell's unread count, whether they stand in for someone today) in the one query that loads
the person, instead of a query each on every page.

Apps add a figure from ready() with `annotate(name, factory)`: `factory()` returns the
expression, made when the person is loaded (so a date in it is today's). Readers ask
`figure(user, name)`, which is None for a user loaded some other way (a test's object, a token
user): the reader then asks the database itself."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

_FIGURES: dict[str, Callable] = {}


def annotate(name: str, factory: Callable) -> None:
    _FIGURES[name] = factory


def _attr(name: str) -> str:
    return f"_signed_in_{name}"


def figure(user, name: str):
    return getattr(user, _attr(name), None)


# The person's query, compiled once a day per process: building and compiling the figures'
# subqueries took some 6 ms of Python per request (the SQL itself about 1 ms).
_compiled: dict = {}
_ANYONE = -7_310_452_019  # stands for the person's id while compiling


def _person_sql(model) -> tuple[str, list, int]:
    key = (timezone.localdate(), tuple(_FIGURES))
    if key not in _compiled:
        people = model._default_manager.annotate(
            **{_attr(name): factory() for name, factory in _FIGURES.items()}
        ).filter(pk=_ANYONE)
        sql, params = people.query.sql_with_params()
        _compiled.clear()
        _compiled[key] = (sql, list(params), list(params).index(_ANYONE))
    return _compiled[key]


class LoadsFigures:
    """For an authentication backend: the session's person loaded with the figures."""

    def get_user(self, user_id):
        model = get_user_model()
        sql, params, at = _person_sql(model)
        params = [*params[:at], user_id, *params[at + 1 :]]
        found = list(model._default_manager.raw(sql, params))
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None
