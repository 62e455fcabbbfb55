"""REST API: catalogues, reports, rounds, findings and conclusions (thin over services)."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from workflows.levels import Level

from . import capabilities as caps
from . import selectors, services
from .models import (
    Catalogue,
    CatalogueElement,
    CatalogueItem,
    CataloguePoint,
    ConsolidatedFinding,
    ReportRow,
    ReviewConclusion,
    ReviewRound,
    SelfDiagnosisReport,
)
from .services import TransitionError
from .text import char_count


def _conflict(exc: TransitionError) -> Response:
    """409 with the transitions the object's state allows."""
    return Response(
        {"code": "conflict", "message": exc.message, "allowed": exc.allowed},
        status=status.HTTP_409_CONFLICT,
    )


class PointSerializer(serializers.ModelSerializer):
    class Meta:
        model = CataloguePoint
        fields = ["id", "title", "hint", "platform_codes"]


class ElementSerializer(serializers.ModelSerializer):
    points = PointSerializer(many=True, read_only=True)

    class Meta:
        model = CatalogueElement
        fields = ["id", "number", "title", "points"]


class ItemSerializer(serializers.ModelSerializer):
    elements = ElementSerializer(many=True, read_only=True)

    class Meta:
        model = CatalogueItem
        fields = ["id", "number", "title", "elements"]


class CatalogueSerializer(serializers.ModelSerializer):
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Catalogue
        fields = [
            "id",
            "code",
            "version",
            "name",
            "status",
            "overview_max",
            "opinion_max",
            "measures_max",
            "effects_max",
            "problems_share_num",
            "problems_share_den",
            "effective_num",
            "effective_den",
            "abnormal_num",
            "abnormal_den",
            "review_points",
            "items",
        ]


class CatalogueList(generics.ListAPIView):
    """The diagnosis catalogues (诊断要素表) with their items, elements and points, and the
    limits a report's texts must keep, paginated (`page`). Needs `review.report.view` (the
    committee, the quality office, supervisors, department and team leaders and members),
    else 403. No filters."""

    serializer_class = CatalogueSerializer

    def get_queryset(self):
        access.require(self.request.user, caps.REPORT_VIEW)
        return Catalogue.objects.prefetch_related("items__elements__points")


class RowSerializer(serializers.ModelSerializer):
    element_number = serializers.CharField(source="element.number", read_only=True)
    opinion_chars = serializers.SerializerMethodField()

    class Meta:
        model = ReportRow
        fields = [
            "element",
            "element_number",
            "achievements",
            "problems",
            "measures",
            "effects",
            "measures_not_started",
            "opinion_chars",
        ]

    def get_opinion_chars(self, row) -> int:
        return char_count(row.achievements) + char_count(row.problems)


class SelfDiagnosisReportSerializer(serializers.ModelSerializer):
    rows = RowSerializer(many=True, read_only=True)
    # "" for a unit's own report (only level reports have a level).
    level = serializers.ChoiceField(choices=Level.choices, allow_blank=True, read_only=True)

    class Meta:
        model = SelfDiagnosisReport
        fields = [
            "id",
            "catalogue",
            "org_unit",
            "level",
            "period",
            "title",
            "overview",
            "status",
            "submitted_at",
            "approved_at",
            "forwarded_at",
            "published_at",
            "rows",
        ]
        read_only_fields = fields


class SelfDiagnosisReportCreateSerializer(serializers.Serializer):
    org_unit = serializers.IntegerField()
    catalogue = serializers.IntegerField()
    period = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(
        choices=Level.choices, allow_blank=True, required=False, default=""
    )


class ReportList(generics.ListAPIView):
    """The self-diagnosis reports the caller may see, with their rows, paginated (`page`): the
    reports of the units in their `review.report.view` scope, the published reports assigned
    to them as an expert, and those whose open step they hold (转办, 代理); for anyone else the
    list is empty. No filters."""

    serializer_class = SelfDiagnosisReportSerializer
    capability_for = {"POST": caps.REPORT_EDIT}

    def get_queryset(self):
        return selectors.visible_reports(self.request.user).prefetch_related("rows__element")

    @extend_schema(
        request=SelfDiagnosisReportCreateSerializer, responses={201: SelfDiagnosisReportSerializer}
    )
    def post(self, request):
        """Start a unit's self-diagnosis report for a period on a catalogue (one empty row per
        element). The caller writes the unit's reports (`review.report.edit` over the unit, in
        their own subtree; the quality office the college's and the offices' reports, not a
        department's): 404 when the unit is not one they see, 403 otherwise. 404 for an unknown
        catalogue. 400 with the errors per field: a catalogue that is not active, a report the
        unit already has for this period and catalogue. Answers 201 with the draft report."""
        data = SelfDiagnosisReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = access.get_unit(request.user, data.validated_data["org_unit"], caps.REPORT_EDIT)
        catalogue = get_object_or_404(Catalogue, pk=data.validated_data["catalogue"])
        report = services.report_create(
            actor=request.user,
            org_unit=unit,
            catalogue=catalogue,
            period=data.validated_data["period"],
            title=data.validated_data["title"],
            level=data.validated_data["level"],
        )
        return Response(SelfDiagnosisReportSerializer(report).data, status=status.HTTP_201_CREATED)


class DraftSerializer(serializers.Serializer):
    overview = serializers.CharField(required=False, allow_blank=True)
    rows = serializers.DictField(child=serializers.DictField(), required=False)


class ReportDetail(APIView):
    serializer_class = SelfDiagnosisReportSerializer

    def get(self, request, pk):
        """One self-diagnosis report with its rows. 404 when the caller may not see it (as in
        the list, or a step of it was theirs)."""
        return Response(SelfDiagnosisReportSerializer(selectors.get_report(request.user, pk)).data)

    @extend_schema(request=DraftSerializer, responses=SelfDiagnosisReportSerializer)
    def patch(self, request, pk):
        """Save the draft as typed; limits are checked on submission."""
        report = selectors.get_report(request.user, pk)
        data = DraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rows = {int(k): v for k, v in data.validated_data.get("rows", {}).items()}
        except ValueError as exc:
            raise ValidationError({"rows": "element ids must be integers"}) from exc
        try:
            services.report_save_draft(
                actor=request.user,
                report=report,
                overview=data.validated_data.get("overview"),
                rows=rows,
            )
        except TransitionError as exc:
            return _conflict(exc)
        return Response(SelfDiagnosisReportSerializer(selectors.get_report(request.user, pk)).data)


REPORT_TRANSITIONS = {
    "submit": services.report_submit,
    "approve": services.report_approve,
    "forward": services.report_forward,
    "publish": services.report_publish,
}


class ReportTransition(APIView):
    """Move a self-diagnosis report on (no body): `submit` (the report's author, or whoever the
    writing step was handed to; 400 naming each text over its limit or a retired catalogue),
    `approve` (the unit head, or the level above when the head wrote it), `forward` (to the
    quality office), `publish` (`review.report.publish`, the quality office). 404 when the
    caller may not see the report or for another action; 403 when the step is not theirs
    (naming the separation-of-duties rule when one refuses it); 409 with the `allowed` steps
    when the report's status does not allow this one. Answers the report."""

    serializer_class = SelfDiagnosisReportSerializer

    @extend_schema(
        operation_id="review_report_transition",
        request=None,
        responses=SelfDiagnosisReportSerializer,
    )
    def post(self, request, pk, action):
        report = selectors.get_report(request.user, pk)
        operation = REPORT_TRANSITIONS.get(action)
        if operation is None:
            return Response(
                {"code": "not_found", "message": f"unknown action {action}"},
                status=status.HTTP_404_NOT_FOUND,
            )
        try:
            operation(actor=request.user, report=report)
        except TransitionError as exc:
            return _conflict(exc)
        report.refresh_from_db()
        return Response(SelfDiagnosisReportSerializer(report).data)


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewRound
        fields = [
            "id",
            "name",
            "catalogue",
            "review_start",
            "review_end",
            "disclosure_deadline",
            "published_at",
            "status",
            "reports",
        ]
        read_only_fields = ["disclosure_deadline", "published_at", "status", "reports"]


@extend_schema_view(
    post=extend_schema(
        description="Create a review round: `name`, `catalogue`, `review_start`, `review_end`; "
        "the disclosure deadline (REVIEW_DISCLOSURE_DAYS before the start) is computed. Needs "
        "`review.round.manage` (the quality office), else 403. 400 with the errors per field: "
        "a start whose disclosure deadline has passed, an end before the start. Answers 201 "
        "with the round."
    )
)
class RoundList(generics.ListCreateAPIView):
    """The review rounds (复核) with their reports, paginated (`page`). Needs
    `review.round.manage` (the quality office), else 403. No filters."""

    serializer_class = RoundSerializer
    capability_for = {"POST": caps.ROUND_MANAGE}

    def get_queryset(self):
        access.require(self.request.user, caps.ROUND_MANAGE)
        return ReviewRound.objects.prefetch_related("reports")

    def perform_create(self, serializer):
        serializer.instance = services.round_create(
            actor=self.request.user, **serializer.validated_data
        )


class FindingInSerializer(serializers.Serializer):
    element = serializers.IntegerField()
    point = serializers.IntegerField(required=False, allow_null=True)
    matches = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FindingsSerializer(serializers.Serializer):
    findings = FindingInSerializer(many=True)
    measures_strong = serializers.BooleanField(required=False, allow_null=True, default=None)
    measures_comment = serializers.CharField(required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(required=False, default=False)


class AssignmentFindings(APIView):
    """An expert's findings on the report assigned to them: for each element (or point)
    whether the report matches, with a comment; `submit` true hands them in. The expert of the
    assignment, or whoever holds its open step (转办, 代理); 404 for anyone else and before the
    report is published. 400 for an element or point not in the round's catalogue, or a
    submission missing a finding; 409 outside the round's review period or once the findings
    are submitted. Answers the findings as saved."""

    serializer_class = FindingsSerializer

    @extend_schema(request=FindingsSerializer, responses={200: FindingsSerializer})
    def post(self, request, pk):
        assignment = services.get_assignment_for_expert(request.user, pk)
        data = FindingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.findings_save(actor=request.user, assignment=assignment, **data.validated_data)
        except TransitionError as exc:
            return _conflict(exc)
        return Response(data.data)


class ConsolidatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsolidatedFinding
        fields = ["element", "point", "matches", "comment"]


class ConclusionSerializer(serializers.ModelSerializer):
    findings = ConsolidatedSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewConclusion
        fields = [
            "id",
            "round",
            "report",
            "org_unit",
            "basis",
            "matched",
            "total",
            "measures_strong",
            "conclusion",
            "signed_at",
            "improvement_due",
            "findings",
        ]


class ConclusionList(generics.ListAPIView):
    """The signed review conclusions with their consolidated findings, paginated (`page`):
    those of the units in the caller's `review.conclusion.view` scope (the committee, the
    quality office). 403 without that capability. No filters."""

    serializer_class = ConclusionSerializer

    def get_queryset(self):
        access.require(self.request.user, caps.CONCLUSION_VIEW)
        return selectors.conclusions_for(self.request.user).prefetch_related("findings")


class RoundTransition(APIView):
    """Publish a round's material (公示) or start its review."""

    serializer_class = RoundSerializer

    @extend_schema(operation_id="review_round_transition", request=None, responses=RoundSerializer)
    def post(self, request, pk, action):
        access.require(request.user, caps.ROUND_MANAGE)
        round_ = get_object_or_404(ReviewRound, pk=pk)
        try:
            if action == "publish":
                services.round_publish(actor=request.user, round_=round_)
            elif action == "start":
                services.round_start(actor=request.user, round_=round_)
            else:
                return Response(
                    {"code": "not_found", "message": f"unknown action {action}"},
                    status=status.HTTP_404_NOT_FOUND,
                )
        except TransitionError as exc:
            return _conflict(exc)
        round_.refresh_from_db()
        return Response(RoundSerializer(round_).data)


class SignSerializer(serializers.Serializer):
    decisions = serializers.ListField(child=FindingInSerializer(), required=False, default=list)
    measures_strong = serializers.BooleanField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class ConclusionSign(APIView):
    """The panel chair signs the consolidated finding; the conclusion is computed."""

    serializer_class = SignSerializer

    @extend_schema(request=SignSerializer, responses={201: ConclusionSerializer})
    def post(self, request, pk, report_pk):
        round_ = get_object_or_404(ReviewRound, pk=pk, panel__user=request.user)
        report = get_object_or_404(round_.reports, pk=report_pk)
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decisions = {
            (d["element"], d.get("point")): d["matches"] for d in data.validated_data["decisions"]
        }
        try:
            conclusion = services.conclusion_sign(
                actor=request.user,
                round_=round_,
                report=report,
                decisions=decisions,
                measures_strong=data.validated_data["measures_strong"],
                summary=data.validated_data["summary"],
            )
        except TransitionError as exc:
            return _conflict(exc)
        return Response(ConclusionSerializer(conclusion).data, status=status.HTTP_201_CREATED)
