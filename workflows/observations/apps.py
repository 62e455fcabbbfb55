from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationsConfig(AppConfig):
    name = "workflows.observations"
    label = "observations"
    verbose_name = _("Class observation")

    def ready(self):
        from cases import origins
        from engine import attachments

        from . import access, capabilities, flows, selectors  # noqa: F401  (flows: the duty's step table)
        from .models import Observation

        capabilities.register()
        attachments.register_access(Observation, access.can_view)
        origins.register(selectors.case_origin)
