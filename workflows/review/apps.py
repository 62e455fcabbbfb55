from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "workflows.review"
    label = "review"
    verbose_name = _("Self-diagnosis and review")

    def ready(self):
        from . import (  # noqa: F401 - catalogues registers the catalogue import
            annual_sections,
            capabilities,
            cards,
            catalogues,
            duties,
            evidence,
            flows,  # the step tables register
            personal,
        )

        capabilities.register()
        duties.register()
        personal.register()
        cards.register()
        evidence.register_builtin()
        annual_sections.register()

        from accounts import unit_panels as panels

        from .unit_panels import sanction_panel

        panels.register(sanction_panel)
