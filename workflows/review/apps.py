from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "workflows.review"
    label = "review"
    verbose_name = _("Self-diagnosis and review")

    def ready(self):
        from . import annual_sections, capabilities, cards, evidence

        capabilities.register()
        cards.register()
        evidence.register_builtin()
        annual_sections.register()
