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
        _register_documents()

        from accounts import unit_panels as panels

        from .unit_panels import sanction_panel

        panels.register(sanction_panel)


def _register_documents():
    from pathlib import Path

    from engine import doc_templates

    from . import exports
    from .capabilities import ANNUAL_BUILD, CATALOGUE_MANAGE, ROUND_MANAGE
    from .doc_templates import build

    here = Path(__file__).parent / "doc_templates"
    doc_templates.register(
        exports.SELF_DIAGNOSIS,
        label=_("Self-diagnosis and improvement report (Annex 2)"),
        default=here / "self_diagnosis.docx",
        sample=exports.self_diagnosis_sample,
        capability=CATALOGUE_MANAGE,
        required=("items",),
        build=build.self_diagnosis,
    )
    doc_templates.register(
        exports.PERSONAL,
        label=_("Personal development self-diagnosis report (teachers, students)"),
        default=here / "personal.docx",
        sample=exports.personal_sample,
        capability=CATALOGUE_MANAGE,
        required=("items",),
        build=build.personal,
    )
    doc_templates.register(
        exports.REVIEW_REPORT,
        label=_("Review report of a review round"),
        default=here / "review_report.docx",
        sample=exports.review_report_sample,
        capability=ROUND_MANAGE,
        required=("conclusions",),
        build=build.review_report,
    )
    for kind, label in (
        (exports.ANNUAL, _("Annual quality report")),
        (exports.LEVEL, _("Level quality report")),
    ):
        doc_templates.register(
            kind,
            label=label,
            default=here / f"{kind.split('.')[1]}.docx",
            sample=exports.sections_sample,
            capability=ANNUAL_BUILD,
            required=("sections",),
            build=build.sections,
        )
