from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "workflows.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring and improvement")

    def ready(self):
        from accounts import access, home, navigation
        from accounts.navigation import NavItem

        from . import (
            capabilities,
            cards,
            decisions,
            engine_bridge,
            flows,  # noqa: F401 - the step tables register
            imports,  # noqa: F401 - registers the readings import
            selectors,
        )

        access.grant_capabilities(capabilities.ROLE_GRANTS)
        navigation.register(
            NavItem(_("Monitoring"), "monitoring:dashboard", None, navigation.Group.MONITORING)
        )
        home.register(selectors.home_cards)
        from engine import digest

        digest.register_section(
            "monitoring.warnings",
            label=_("New warnings in my units"),
            count=lambda user, since: (
                selectors.warnings_for(user).filter(raised_at__gte=since).count()
            ),
        )
        home.register(cards.personal_cards)
        decisions.register()
        engine_bridge.connect()

        from django.db.models.signals import post_save

        from workflows.review.models import PersonalReport, SelfDiagnosisReport

        from . import cycle_report, cycle_steps

        cycle_report.register()

        post_save.connect(
            cycle_steps.on_report_saved,
            sender=SelfDiagnosisReport,
            dispatch_uid="monitoring.cycle_report_saved",
        )
        post_save.connect(
            cycle_steps.on_personal_report_saved,
            sender=PersonalReport,
            dispatch_uid="monitoring.cycle_personal_report_saved",
        )

        from . import integrations

        integrations.connect()
        _register_documents()


def _register_documents():
    from pathlib import Path

    from engine import doc_templates

    from . import exports
    from .capabilities import CONFIGURE
    from .doc_templates import build

    doc_templates.register(
        exports.LEDGER,
        label=_("Improvement ledger"),
        default=Path(__file__).parent / "doc_templates" / "ledger.docx",
        sample=exports.ledger_sample,
        capability=CONFIGURE,
        required=("rows",),
        build=build.ledger,
    )
    from workflows.review.doc_templates.build import sections
    from workflows.review.exports import sections_sample

    from .cycle_report import CYCLE_REPORT

    doc_templates.register(
        CYCLE_REPORT,
        label=_("Quality report of a diagnosis cycle"),
        default=Path(__file__).parent / "doc_templates" / "cycle_report.docx",
        sample=sections_sample,
        capability=CONFIGURE,
        required=("sections",),
        build=sections,
    )
