"""A signed review's non-matching findings land in the improvement ledger, once."""

from django.db import transaction

from workflows.monitoring import integrations
from workflows.monitoring.models import Improvement
from workflows.review import evidence, services
from workflows.review.models import ConsolidatedFinding, ReviewConclusion

from .factories import forwarded_report, record_findings, round_in_review


def sign(cast, matching):
    report = forwarded_report(cast)
    round_, chair = round_in_review(cast, [report])
    record_findings(cast.expert, chair.assignments.get(), matching=matching)
    services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
    return ReviewConclusion.objects.get(report=report)


def test_findings_become_ledger_items_after_commit(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conclusion = sign(cast, matching=12)
    missed = ConsolidatedFinding.objects.filter(conclusion=conclusion, matches=False)
    items = Improvement.objects.filter(source_key__startswith="review-finding:")
    assert items.count() == missed.count() > 0
    item = items.first()
    assert item.responsible_unit == cast.units.rj
    assert item.owner == cast.software_lead  # the major's team leads the improvement
    assert item.created_by == cast.expert
    assert item.cause_analysis == "自评偏高"
    assert integrations.sync_review_findings() == 0  # nothing converted twice


def test_sweep_converts_what_the_signal_missed(cast):
    with transaction.atomic():  # the signal's on_commit never runs inside the test transaction
        conclusion = sign(cast, matching=13)
    assert not Improvement.objects.exists()
    converted = integrations.sync_review_findings()
    assert (
        converted
        == ConsolidatedFinding.objects.filter(conclusion=conclusion, matches=False).count()
    )
    assert integrations.sync_review_findings() == 0


def test_other_features_are_evidence_sources():
    keys = {source.key for source in evidence.sources()}
    assert {"documents", "cases", "readings", "warnings", "improvements"} <= keys


def test_annual_report_takes_sections_from_monitoring_and_cases():
    from workflows.review import annual

    keys = [p.key for p in annual.providers_for(annual.AssemblyContext(year=2026))]
    assert "monitoring" in keys and "cases" in keys
    assert "monitoring" in [
        p.key for p in annual.providers_for(annual.AssemblyContext(year=2026, level="major"))
    ]
