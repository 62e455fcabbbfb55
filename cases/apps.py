from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Quality incidents")

    def ready(self):
        from django_fsm.signals import post_transition

        from accounts import access, home, navigation, unit_work
        from engine import attachments, signals
        from engine import selectors as engine_selectors

        from . import duties, messages, services
        from .access import can_download_attachment
        from .flows import CaseFlow
        from .models import Case, Notice, RectificationReport
        from .permissions import CAPABILITIES, CaseCap
        from .selectors import home_cards, inbox_task_q, open_work_in_units

        access.grant_capabilities(CAPABILITIES)
        from pathlib import Path

        from engine import doc_templates
        from engine.capabilities import TEMPLATES_MANAGE

        from . import exports

        doc_templates.register(
            exports.NOTICE_TEMPLATE,
            label=_("Rectification and supervision notice (with receipt)"),
            default=Path(__file__).parent / "doc_templates" / "notice.docx",
            sample=exports.notice_sample,
            capability=TEMPLATES_MANAGE,
        )
        from .doc_templates import build

        doc_templates.register(
            exports.ANALYSIS_TEMPLATE,
            label=_("Incident analysis report of the last three years"),
            default=Path(__file__).parent / "doc_templates" / "analysis.docx",
            sample=exports.analysis_sample,
            capability=TEMPLATES_MANAGE,
            required=("parts",),
            build=build.analysis,
        )
        duties.register()
        messages.register()
        services.register_committee()
        for model in (Case, Notice, RectificationReport):
            attachments.register_access(model, can_download_attachment)
        signals.deadline_escalated.connect(
            services.mark_notice_escalated, dispatch_uid="cases.notice_escalated"
        )
        navigation.register(
            navigation.NavItem(_("Cases"), "cases:list", CaseCap.FILE, navigation.Group.CASES)
        )
        navigation.register(
            navigation.NavItem(
                _("Case dashboard"), "cases:dashboard", CaseCap.DASHBOARD, navigation.Group.CASES
            )
        )
        home.register(home_cards)
        engine_selectors.register_flow(CaseFlow)
        engine_selectors.register_progress(Case, CaseFlow)
        engine_selectors.register_pool(inbox_task_q)
        unit_work.register(open_work_in_units)

        from .confidential import hooks

        hooks.open_quality_case = services.case_open_from_report
        post_transition.connect(
            _tell_the_discipline_office, sender=Case, dispatch_uid="case-from-report-finished"
        )

        from . import integrations

        integrations.connect()


def _tell_the_discipline_office(sender, instance, name, source, target, **kwargs):
    """A case refused or closed: if the discipline office opened it from a report, it hears of
    it (the report knows its case; the case knows nothing of the report)."""
    from .confidential import services as confidential
    from .models import Status

    if target in (Status.REFUSED, Status.CLOSED):
        reason = instance.refusal_reason if target == Status.REFUSED else ""
        confidential.quality_case_finished(instance, reason=reason)
