from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "workflows.plans"
    label = "plans"
    verbose_name = _("Plans, targets and standards")

    def ready(self):
        from accounts import access, home, navigation
        from accounts.navigation import NavItem
        from engine import attachments

        from . import (
            cards,
            imports,  # noqa: F401 - registers the plans import
            notices,
        )
        from .models import Plan, Standard, Task
        from .permissions import CAPABILITIES, PlanCap, can_view, task_filter

        access.grant_capabilities(CAPABILITIES)
        notices.register()
        attachments.register_access(Plan, can_view)
        attachments.register_access(Standard, can_view)
        attachments.register_access(
            Task, lambda user, task: Task.objects.filter(task_filter(user), pk=task.pk).exists()
        )
        navigation.register(NavItem(_("Plans and targets"), "plans:index", PlanCap.VIEW))
        home.register(cards.plan_cards)
