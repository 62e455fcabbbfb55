from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "workflows.plans"
    label = "plans"
    verbose_name = _("Plans, targets and standards")

    def ready(self):
        from django.db.models.signals import post_delete

        from accounts import access, home, navigation
        from accounts.models import Membership
        from accounts.navigation import NavItem
        from engine import attachments, selectors

        from . import (  # noqa: F401 - imports registers the plans import
            cards,
            committee,
            flows,
            imports,
            notices,
            services,
            task_flows,  # the plan task's step table registers
        )
        from .models import ChangeRequest, Plan, Standard, Target, Task
        from .permissions import CAPABILITIES, PlanCap, can_view, task_filter

        access.grant_capabilities(CAPABILITIES)
        notices.register()
        committee.register()
        services.register_committee_subjects()
        selectors.register_pool(committee.inbox_task_q)
        selectors.register_pool(flows.reviewer_task_q)
        for flow_class in flows.FLOWS:
            selectors.register_flow(flow_class)
        for model in (Plan, Target, Standard):
            selectors.register_progress(model, flows.ItemApprovalFlow)
        selectors.register_progress(ChangeRequest, flows.ChangeRequestFlow)
        post_delete.connect(
            committee.member_left, sender=Membership, dispatch_uid="plans.committee_member_left"
        )
        attachments.register_access(Plan, can_view)
        attachments.register_access(Standard, can_view)
        attachments.register_access(
            Task, lambda user, task: Task.objects.filter(task_filter(user), pk=task.pk).exists()
        )
        navigation.register(
            NavItem(_("Plans and targets"), "plans:index", PlanCap.VIEW, navigation.Group.PLANS)
        )
        home.register(cards.plan_cards)
        _register_documents(PlanCap.ADMIN)


def _register_documents(capability):
    from pathlib import Path

    from engine import doc_templates

    from . import exports
    from .doc_templates import build

    here = Path(__file__).parent / "doc_templates"
    for what, label, builder in (
        ("tasks", _("Task decomposition and schedule table (Annex 1)"), build.tasks),
        ("targets", _("Quality target system table (Table 4)"), build.targets),
        ("standards", _("Quality standard system table (Table 5)"), build.standards),
    ):
        doc_templates.register(
            exports.TABLES[what][0],
            label=label,
            default=here / f"{what}.docx",
            sample=exports.table_sample(what),
            capability=capability,
            required=("groups",),
            build=builder,
        )
