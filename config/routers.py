from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """A DRF router whose detail routes take integer ids only (`<int:pk>`), as the hand-written
    `path()` routes do: `/plans/x/` is a 404 and the schema documents the id as an integer."""

    def __init__(self, **kwargs):
        super().__init__(use_regex_path=False, **kwargs)
        self._default_value_pattern = "int"
