from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "workflows.plans"
    label = "plans"
    verbose_name = _("Plans, targets and standards")

    def ready(self):
        from accounts import access, home, navigation
        from accounts.navigation import NavItem

        from . import cards
        from .permissions import CAPABILITIES, PlanCap

        access.grant_capabilities(CAPABILITIES)
        navigation.register(NavItem(_("Plans and targets"), "plans:index", PlanCap.VIEW))
        home.register(cards.plan_cards)
