import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from workflows.review import services
from workflows.review.conclusions import Conclusion
from workflows.review.models import (
    Catalogue,
    PanelMember,
    ReportStatus,
    ReviewConclusion,
    RoundStatus,
    SanctionFlag,
)
from workflows.review.signals import review_concluded

from .factories import (
    GOOD_ROW,
    filled_report,
    forwarded_report,
    record_findings,
    round_in_review,
    shipped_catalogue,
    synthetic_catalogue,
)

pytestmark = pytest.mark.django_db


def _row_with(report, **values):
    row = report.rows.first()
    services.report_save_draft(
        actor=report.author, report=report, rows={row.element_id: {**GOOD_ROW, **values}}
    )
    return row


class TestLimits:
    def test_opinion_of_exactly_500_chinese_characters_is_accepted(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        _row_with(report, achievements="成" * 250, problems="问" * 250)
        services.report_submit(actor=cast.software_member, report=report)
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED

    def test_opinion_of_501_characters_is_refused_and_kept(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        row = _row_with(report, achievements="成" * 250, problems="问" * 251)
        with pytest.raises(ValidationError) as err:
            services.report_submit(actor=cast.software_member, report=report)
        assert "501" in str(err.value.message_dict[str(row.element_id)])
        row.refresh_from_db()
        assert row.problems == "问" * 251
        report.refresh_from_db()
        assert report.status == ReportStatus.DRAFT

    def test_mixed_text_counts_every_visible_character_and_ignores_spaces(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        measures = ("Python课程 " * 25)[:-1]  # 25 × 8 visible = 200, spaces not counted
        _row_with(report, measures=measures)
        services.report_submit(actor=cast.software_member, report=report)

    def test_mixed_measures_one_over_the_limit_is_refused(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        row = _row_with(report, measures="Python课程" * 25 + "A")
        with pytest.raises(ValidationError) as err:
            services.report_submit(actor=cast.software_member, report=report)
        assert "201" in str(err.value.message_dict[str(row.element_id)])

    @pytest.mark.parametrize(("problems", "ok"), [(100, True), (99, False)])
    def test_problems_and_causes_must_be_at_least_half(self, cast, problems, ok):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        _row_with(report, achievements="成" * 100, problems="问" * problems)
        if ok:
            services.report_submit(actor=cast.software_member, report=report)
        else:
            with pytest.raises(ValidationError, match="1/2"):
                services.report_submit(actor=cast.software_member, report=report)

    def test_effects_need_a_note_when_measures_have_not_started(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        _row_with(report, effects="", measures_not_started=True)
        with pytest.raises(ValidationError, match="措施尚未实施"):
            services.report_submit(actor=cast.software_member, report=report)

    def test_limits_are_data_per_catalogue(self, cast):
        catalogue = synthetic_catalogue(3, measures_max=10)
        report = filled_report(cast.software_member, cast.units.rj, catalogue)
        _row_with(report, measures="措" * 11)
        with pytest.raises(ValidationError, match="10"):
            services.report_submit(actor=cast.software_member, report=report)


class TestCatalogueBinding:
    def test_shipped_catalogues_have_the_documented_shape(self, db):
        beijing = shipped_catalogue()
        assert beijing.items.count() == 5
        assert beijing.elements.count() == 15
        annex2 = shipped_catalogue("beijing-annex2")
        assert annex2.items.count() == 6
        assert annex2.elements.count() == 16
        skeleton = shipped_catalogue("xiangyang-36")
        assert skeleton.elements.count() == 36
        assert sum(e.points.count() for e in skeleton.elements.all()) == 90

    def test_a_report_against_a_retired_catalogue_is_refused(self, cast):
        catalogue = shipped_catalogue(status=Catalogue.Status.RETIRED)
        with pytest.raises(ValidationError, match="未启用"):
            services.report_create(
                actor=cast.software_member,
                org_unit=cast.units.rj,
                catalogue=catalogue,
                period="2026",
                title="x",
            )

    def test_retiring_the_catalogue_blocks_submission_of_its_drafts(self, cast):
        catalogue = shipped_catalogue()
        report = filled_report(cast.software_member, cast.units.rj, catalogue)
        services.catalogue_set_status(
            actor=cast.quality_officer, catalogue=catalogue, status=Catalogue.Status.RETIRED
        )
        with pytest.raises(ValidationError, match="已停用"):
            services.report_submit(actor=cast.software_member, report=report)

    def test_a_row_for_an_element_of_another_catalogue_is_refused(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        stranger = synthetic_catalogue(1).elements.get()
        with pytest.raises(ValidationError, match="不在本报告所用的参考表中"):
            services.report_save_draft(
                actor=cast.software_member, report=report, rows={stranger.pk: GOOD_ROW}
            )


class TestLifecycle:
    def test_draft_to_forwarded_by_the_right_people(self, cast):
        report = forwarded_report(cast)
        assert report.status == ReportStatus.FORWARDED
        assert report.approved_by == cast.software_lead

    def test_a_department_leader_of_another_department_cannot_approve(self, cast):
        report = filled_report(cast.software_member, cast.units.rj, shipped_catalogue())
        services.report_submit(actor=cast.software_member, report=report)
        with pytest.raises(PermissionDenied):
            services.report_approve(actor=cast.jd_leader, report=report)

    def test_outsiders_cannot_write_a_units_report(self, cast):
        with pytest.raises(PermissionDenied):
            filled_report(cast.teacher, cast.units.rj, shipped_catalogue())

    def test_college_reports_are_approved_by_the_chair_and_forwarded_by_the_office(self, cast):
        report = filled_report(cast.quality_officer, cast.units.college, shipped_catalogue())
        services.report_submit(actor=cast.quality_officer, report=report)
        with pytest.raises(PermissionDenied):
            services.report_approve(actor=cast.quality_officer, report=report)
        services.report_approve(actor=cast.chair, report=report)
        services.report_forward(actor=cast.quality_officer, report=report)
        report.refresh_from_db()
        assert report.status == ReportStatus.FORWARDED


class TestConflictOfInterest:
    def test_an_expert_may_not_review_their_own_department(self, cast):
        report = forwarded_report(cast)
        start = timezone.localdate() + datetime.timedelta(days=40)
        round_ = services.round_create(
            actor=cast.quality_officer,
            name="r",
            catalogue=report.catalogue,
            review_start=start,
            review_end=start,
        )
        services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
        member = services.panel_add(
            actor=cast.quality_officer,
            round_=round_,
            user=cast.xx_leader,
            kind=PanelMember.Kind.INTERNAL,
            declaration="本人为信息工程系主任",
        )
        with pytest.raises(ValidationError, match="利益冲突"):
            services.assignment_create(actor=cast.quality_officer, member=member, report=report)
        other = services.panel_add(
            actor=cast.quality_officer,
            round_=round_,
            user=cast.jd_leader,
            kind=PanelMember.Kind.INTERNAL,
            declaration="无",
        )
        assert services.assignment_create(actor=cast.quality_officer, member=other, report=report)

    def test_an_external_kind_needs_an_external_expert(self, cast):
        report = forwarded_report(cast)
        start = timezone.localdate() + datetime.timedelta(days=40)
        round_ = services.round_create(
            actor=cast.quality_officer,
            name="r",
            catalogue=report.catalogue,
            review_start=start,
            review_end=start,
        )
        with pytest.raises(ValidationError, match="校外专家"):
            services.panel_add(
                actor=cast.quality_officer,
                round_=round_,
                user=cast.jd_leader,
                kind=PanelMember.Kind.EXTERNAL,
                declaration="无",
            )


class TestDisclosure:
    def _round(self, cast, start):
        report = forwarded_report(cast)
        # Created when the start was still possible; the material may then be published late.
        round_ = services.round_create(
            actor=cast.quality_officer,
            name="r",
            catalogue=report.catalogue,
            review_start=start,
            review_end=start,
            today=start - datetime.timedelta(days=settings.REVIEW_DISCLOSURE_DAYS),
        )
        services.round_add_report(actor=cast.quality_officer, round_=round_, report=report)
        services.panel_add(
            actor=cast.quality_officer,
            round_=round_,
            user=cast.expert,
            kind=PanelMember.Kind.EXTERNAL,
            declaration="无",
            is_chair=True,
        )
        return round_, report

    def test_deadline_is_thirty_days_before_the_review(self, cast):
        start = timezone.localdate() + datetime.timedelta(days=30)
        round_, _report = self._round(cast, start)
        assert round_.disclosure_deadline == timezone.localdate()

    def test_published_on_the_deadline_starts_thirty_days_later_not_a_day_earlier(self, cast):
        start = timezone.localdate() + datetime.timedelta(days=30)
        round_, report = self._round(cast, start)
        result = services.round_publish(actor=cast.quality_officer, round_=round_)
        assert not result.late
        with pytest.raises(ValidationError, match="公示期至"):
            services.round_start(
                actor=cast.quality_officer, round_=round_, today=start - datetime.timedelta(days=1)
            )
        services.round_start(actor=cast.quality_officer, round_=round_, today=start)
        round_.refresh_from_db()
        report.refresh_from_db()
        assert round_.status == RoundStatus.IN_REVIEW
        assert report.status == ReportStatus.UNDER_REVIEW

    def test_late_publication_refuses_the_start_and_lists_the_unit(self, cast):
        start = timezone.localdate() + datetime.timedelta(days=29)
        round_, report = self._round(cast, start)
        result = services.round_publish(actor=cast.quality_officer, round_=round_)
        assert result.late
        with pytest.raises(ValidationError, match="晚于截止日期"):
            services.round_start(
                actor=cast.quality_officer, round_=round_, today=start + datetime.timedelta(days=5)
            )
        round_.refresh_from_db()
        assert round_.status == RoundStatus.DISCLOSED
        listed = ReviewConclusion.objects.get(round=round_, report=report)
        assert listed.conclusion == Conclusion.NEEDS_IMPROVEMENT
        assert listed.basis == ReviewConclusion.Basis.DISCLOSURE_LATE

    def test_never_published_and_past_the_deadline_lists_the_unit(self, cast):
        start = timezone.localdate() + datetime.timedelta(days=31)
        round_, _report = self._round(cast, start)
        with pytest.raises(ValidationError, match="请先公示材料"):
            services.round_start(actor=cast.quality_officer, round_=round_)
        assert not ReviewConclusion.objects.exists()
        with pytest.raises(ValidationError, match="前公示，复核不能开始"):
            services.round_start(actor=cast.quality_officer, round_=round_, today=start)
        assert ReviewConclusion.objects.get().org_unit == cast.units.rj


class TestConclusion:
    def test_chair_signs_and_the_conclusion_is_computed_and_signalled(
        self, cast, django_capture_on_commit_callbacks
    ):
        report = forwarded_report(cast)
        round_, chair = round_in_review(cast, [report])
        record_findings(cast.expert, chair.assignments.get(), matching=11)
        received = []

        def listener(sender, **kwargs):
            received.append(kwargs)

        review_concluded.connect(listener)
        try:
            with pytest.raises(PermissionDenied):
                services.conclusion_sign(actor=cast.quality_officer, round_=round_, report=report)
            with django_capture_on_commit_callbacks(execute=True):
                conclusion = services.conclusion_sign(
                    actor=cast.expert, round_=round_, report=report
                )
        finally:
            review_concluded.disconnect(listener)
        assert (conclusion.matched, conclusion.total) == (11, 15)
        assert conclusion.conclusion == Conclusion.NEEDS_IMPROVEMENT
        assert conclusion.improvement_due == timezone.localdate() + datetime.timedelta(days=365)
        assert len(received) == 1
        payload = received[0]
        assert payload["round"] == round_
        assert payload["report"] == report
        assert payload["conclusion"] == conclusion
        assert len(payload["non_matching"]) == 4
        assert all(not f.matches for f in payload["non_matching"])
        round_.refresh_from_db()
        assert round_.status == RoundStatus.CONCLUDED

    def test_a_finding_for_an_element_outside_the_catalogue_is_refused(self, cast):
        report = forwarded_report(cast)
        _round, chair = round_in_review(cast, [report])
        stranger = synthetic_catalogue(1).elements.get()
        with pytest.raises(ValidationError, match="不在参考表"):
            services.findings_save(
                actor=cast.expert,
                assignment=chair.assignments.get(),
                findings=[{"element": stranger.pk, "matches": True}],
            )

    def test_abnormal_flags_the_unit(self, cast):
        report = forwarded_report(cast)
        round_, chair = round_in_review(cast, [report])
        record_findings(cast.expert, chair.assignments.get(), matching=9)
        conclusion = services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
        assert conclusion.conclusion == Conclusion.ABNORMAL
        assert conclusion.sanction_flag.reason == SanctionFlag.Reason.ABNORMAL

    def test_needs_improvement_twice_in_a_row_flags_the_unit_once_not_before(self, cast):
        catalogue = shipped_catalogue()
        first = forwarded_report(cast, catalogue=catalogue, period="2025")
        round1, chair1 = round_in_review(cast, [first], name="2025")
        record_findings(cast.expert, chair1.assignments.get(), matching=10)
        c1 = services.conclusion_sign(actor=cast.expert, round_=round1, report=first)
        assert c1.conclusion == Conclusion.NEEDS_IMPROVEMENT
        assert not SanctionFlag.objects.exists()

        second = forwarded_report(cast, catalogue=catalogue, period="2026")
        round2, chair2 = round_in_review(
            cast, [second], name="2026", start=round1.review_start + datetime.timedelta(days=365)
        )
        record_findings(cast.expert, chair2.assignments.get(), matching=15, strong=False)
        c2 = services.conclusion_sign(actor=cast.expert, round_=round2, report=second)
        assert c2.conclusion == Conclusion.NEEDS_IMPROVEMENT
        flag = SanctionFlag.objects.get()
        assert flag.conclusion == c2
        assert flag.reason == SanctionFlag.Reason.TWICE_NEEDS_IMPROVEMENT

    def test_the_improvement_period_is_an_engine_deadline_closed_by_the_next_round(self, cast):
        from engine.models import Deadline

        catalogue = shipped_catalogue()
        first = forwarded_report(cast, catalogue=catalogue, period="2025")
        round1, chair1 = round_in_review(cast, [first], name="2025")
        record_findings(cast.expert, chair1.assignments.get(), matching=10)
        c1 = services.conclusion_sign(actor=cast.expert, round_=round1, report=first)
        deadline = Deadline.objects.get()
        assert deadline.owner_unit == cast.units.rj
        assert timezone.localdate(deadline.due_at) == c1.improvement_due
        assert deadline.status == Deadline.Status.OPEN

        second = forwarded_report(cast, catalogue=catalogue, period="2026")
        round2, chair2 = round_in_review(
            cast, [second], name="2026", start=round1.review_start + datetime.timedelta(days=365)
        )
        record_findings(cast.expert, chair2.assignments.get(), matching=15)
        c2 = services.conclusion_sign(actor=cast.expert, round_=round2, report=second)
        assert c2.improvement_due is None
        deadline.refresh_from_db()
        assert deadline.status == Deadline.Status.DONE
        assert Deadline.objects.count() == 1

    def test_effective_then_needs_improvement_is_not_flagged(self, cast):
        catalogue = shipped_catalogue()
        first = forwarded_report(cast, catalogue=catalogue, period="2025")
        round1, chair1 = round_in_review(cast, [first], name="2025")
        record_findings(cast.expert, chair1.assignments.get(), matching=12)
        assert (
            services.conclusion_sign(actor=cast.expert, round_=round1, report=first).conclusion
            == Conclusion.EFFECTIVE
        )
        second = forwarded_report(cast, catalogue=catalogue, period="2026")
        round2, chair2 = round_in_review(
            cast, [second], name="2026", start=round1.review_start + datetime.timedelta(days=365)
        )
        record_findings(cast.expert, chair2.assignments.get(), matching=10)
        services.conclusion_sign(actor=cast.expert, round_=round2, report=second)
        assert not SanctionFlag.objects.exists()

    def test_points_count_when_the_catalogue_reviews_per_point(self, cast):
        catalogue = shipped_catalogue("xiangyang-36")
        report = forwarded_report(cast, catalogue=catalogue)
        round_, chair = round_in_review(cast, [report])
        record_findings(cast.expert, chair.assignments.get(), matching=101)  # 101/126 = 80.2 %
        conclusion = services.conclusion_sign(actor=cast.expert, round_=round_, report=report)
        assert (conclusion.matched, conclusion.total) == (101, 126)
        assert conclusion.conclusion == Conclusion.EFFECTIVE

    def test_sanction_decision_needs_the_committee_approval(self, cast):
        report = forwarded_report(cast)
        round_, chair = round_in_review(cast, [report])
        record_findings(cast.expert, chair.assignments.get(), matching=5)
        flag = services.conclusion_sign(
            actor=cast.expert, round_=round_, report=report
        ).sanction_flag
        decision = services.sanction_propose(
            actor=cast.quality_officer, flag=flag, measure="enrolment", detail="招生计划减少 10%"
        )
        with pytest.raises(PermissionDenied):
            services.sanction_approve(actor=cast.quality_officer, decision=decision)
        services.sanction_approve(actor=cast.chair, decision=decision)
        decision.refresh_from_db()
        assert decision.approved_by == cast.chair


def test_the_quality_office_writes_college_reports_but_not_a_departments(cast):
    catalogue = shipped_catalogue()
    assert filled_report(cast.quality_officer, cast.units.zgb, catalogue)
    with pytest.raises(PermissionDenied):
        filled_report(cast.quality_officer, cast.units.rj, catalogue)
    team_report = filled_report(cast.software_member, cast.units.rj, catalogue)
    with pytest.raises(PermissionDenied):
        services.report_save_draft(actor=cast.quality_officer, report=team_report, overview="改")


def test_the_organiser_is_warned_once_when_the_disclosure_deadline_nears(cast):
    from engine.models import Notification

    catalogue = shipped_catalogue()
    today = timezone.localdate()
    near = services.round_create(
        actor=cast.quality_officer,
        name="近",
        catalogue=catalogue,
        review_start=today + datetime.timedelta(days=37),
        review_end=today + datetime.timedelta(days=40),
    )
    services.round_create(
        actor=cast.quality_officer,
        name="远",
        catalogue=catalogue,
        review_start=today + datetime.timedelta(days=38),
        review_end=today + datetime.timedelta(days=40),
    )
    assert services.rounds_warn_disclosure(today=today) == [near]
    assert services.rounds_warn_disclosure(today=today) == []
    warning = Notification.objects.get()
    assert warning.recipient == cast.quality_officer
    deadline = near.disclosure_deadline
    assert f"{deadline.month}月{deadline.day}日" in warning.title
    assert "近" in warning.title


def test_college_wide_viewers_see_every_report_and_experts_only_theirs(cast):
    from workflows.review import selectors

    report = forwarded_report(cast)
    for viewer in (cast.quality_officer, cast.chair, cast.committee_member, cast.xx_leader):
        assert list(selectors.visible_reports(viewer)) == [report], viewer
    for outsider in (cast.jd_leader, cast.teacher, cast.expert, cast.outsider):
        assert not selectors.visible_reports(outsider).exists(), outsider


def test_waiting_lists_hold_what_each_person_must_act_on(cast):
    from workflows.review import selectors

    college = filled_report(cast.quality_officer, cast.units.college, shipped_catalogue())
    services.report_submit(actor=cast.quality_officer, report=college)
    assert selectors.approvals_waiting(cast.chair) == [college]
    assert selectors.approvals_waiting(cast.quality_officer) == []
    services.report_approve(actor=cast.chair, report=college)
    assert selectors.approvals_waiting(cast.chair) == []
    assert selectors.approvals_waiting(cast.quality_officer) == [college]
