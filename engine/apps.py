from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Engine")

    def ready(self):
        from . import deadlines  # noqa: F401 - registers the deadline message kinds
