"""The signed-in person as every page loads them: with the figures the page frame shows of them
(the bell's unread count, whether they stand in for someone today) in the one query that loads
the person, instead of a query each on every page.

Apps add a figure from ready() with `annotate(name, factory)`: `factory()` returns the
expression, made when the person is loaded (so a date in it is today's). Readers ask
`figure(user, name)`, which is None for a user loaded some other way (a test's object, a token
user): the reader then asks the database itself."""

from collections.abc import Callable

from django.contrib.auth import get_user_model

_FIGURES: dict[str, Callable] = {}


def annotate(name: str, factory: Callable) -> None:
    _FIGURES[name] = factory


def _attr(name: str) -> str:
    return f"_signed_in_{name}"


def figure(user, name: str):
    return getattr(user, _attr(name), None)


class LoadsFigures:
    """For an authentication backend: the session's person loaded with the figures."""

    def get_user(self, user_id):
        model = get_user_model()
        people = model._default_manager.annotate(
            **{_attr(name): factory() for name, factory in _FIGURES.items()}
        )
        try:
            user = people.get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
