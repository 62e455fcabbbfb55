"""REST API: readings ingestion (bulk, idempotent), indicators, warnings, improvements, cycles."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User

from . import access_rules, engine_bridge, selectors, services
from . import capabilities as caps
from .forms import CycleFilter, WarningApiFilter
from .models import (
    NEXT_STAGE,
    Cycle,
    CycleEvidence,
    Improvement,
    Indicator,
    Period,
    PeriodKind,
    StageGate,
    Warning,
)
from .periods import resolve as resolve_period

MAX_BULK = 5000


def _conflict(exc: ValidationError, allowed: list[str]) -> Response:
    """An illegal transition: 409 with what is wrong and where the object may go instead."""
    return Response(
        {"code": "conflict", "message": " ".join(exc.messages), "allowed": allowed},
        status=status.HTTP_409_CONFLICT,
    )


class IndicatorSerializer(serializers.ModelSerializer):
    data_owner_unit = serializers.CharField(source="data_owner_unit.code")

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "level",
            "unit_of_measure",
            "direction",
            "formula",
            "period_kind",
            "min_value",
            "max_value",
            "target_value",
            "yellow_threshold",
            "red_threshold",
            "data_owner_unit",
            "is_active",
        ]


class WarningSerializer(serializers.ModelSerializer):
    # codes for programs to key on, names and labels for people to read
    indicator = serializers.CharField(source="indicator.code")
    indicator_name = serializers.CharField(source="indicator.name")
    subject = serializers.CharField(source="subject.name")
    period = serializers.CharField(source="period.code")
    period_name = serializers.CharField(source="period.name")
    responsible_unit = serializers.CharField(source="responsible_unit.code")
    responsible_unit_name = serializers.CharField(source="responsible_unit.name")
    level_display = serializers.CharField(source="get_level_display")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Warning
        fields = [
            "id",
            "indicator",
            "indicator_name",
            "subject",
            "subject_id",
            "period",
            "period_name",
            "responsible_unit",
            "responsible_unit_name",
            "level",
            "level_display",
            "value",
            "status",
            "status_display",
            "escalation_level",
            "raised_at",
            "acknowledged_at",
            "resolved_at",
        ]


class ImprovementSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")

    class Meta:
        model = Improvement
        fields = [
            "id",
            "warning_id",
            "finding",
            "subject_id",
            "title",
            "cause_analysis",
            "measures",
            "owner",
            "deadline",
            "status",
            "evidence",
            "data_check",
            "effective",
            "effectiveness_note",
            "signed_off_at",
        ]


class CycleSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(source="subject.name")
    period = serializers.CharField(source="period.code")

    class Meta:
        model = Cycle
        fields = ["id", "subject", "subject_id", "period", "level", "stage", "carried_over"]


class EvidenceFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="where the file is downloaded (same permissions)")


class CycleEvidenceSerializer(serializers.ModelSerializer):
    """Evidence added to a cycle for a gate (a document with a note, or a decision)."""

    gate = serializers.IntegerField(source="gate_id")
    gate_label = serializers.CharField(source="gate.label")
    stage = serializers.CharField(source="gate.stage")
    kind = serializers.CharField(source="gate.kind")
    added_by = serializers.CharField(source="added_by.username")
    files = serializers.SerializerMethodField()

    class Meta:
        model = CycleEvidence
        fields = ["id", "gate", "gate_label", "stage", "kind", "text", "added_by", "added_at"]
        fields += ["files"]

    @extend_schema_field(EvidenceFileSerializer(many=True))
    def get_files(self, evidence):
        files = getattr(evidence, "files", None)
        if files is None:
            files = engine_bridge.files_of(evidence)
        return [
            {
                "id": f.pk,
                "name": f.original_name,
                "url": reverse("engine:attachment_download", args=[f.pk]),
            }
            for f in files
        ]


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file sent in a multipart body (the schema says binary, not a URL)."""


class CycleEvidenceInSerializer(serializers.Serializer):
    gate = serializers.IntegerField(help_text="an evidence gate of the cycle's level and stage")
    text = serializers.CharField(help_text="the note: what the evidence is and shows")
    file = UploadField(required=False, help_text="the document (multipart upload)")


class CycleLinksSerializer(CycleSerializer):
    """A cycle with what it is made of (see selectors.cycle_links). The fields declared here
    document the answer; `to_representation` reads every link in a constant number of queries."""

    stage_changed_at = serializers.DateTimeField()
    targets = serializers.ListField(child=serializers.DictField())
    standards = serializers.ListField(child=serializers.DictField())
    tasks = serializers.ListField(child=serializers.DictField())
    indicators = serializers.ListField(child=serializers.DictField())
    readings = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())
    improvements = serializers.ListField(child=serializers.DictField())
    report = serializers.DictField(allow_null=True)
    conclusions = serializers.ListField(child=serializers.CharField())
    evidence = CycleEvidenceSerializer(many=True)
    gaps = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    history = serializers.ListField(child=serializers.DictField())

    class Meta(CycleSerializer.Meta):
        fields = [*CycleSerializer.Meta.fields, "stage_changed_at", "targets", "standards"]
        fields += ["tasks", "indicators", "readings", "warnings", "improvements", "report"]
        fields += ["conclusions", "evidence", "gaps", "missing", "history"]

    def to_representation(self, cycle):
        links = selectors.cycle_links(cycle)
        missing = services.cycle_missing_evidence(cycle, links)
        return {
            **CycleSerializer(cycle).data,
            "stage_changed_at": cycle.stage_changed_at,
            "targets": [
                {
                    "id": link.target_id,
                    "title": link.target.title,
                    "plan": link.target.plan.title,
                    "version": link.version,
                    "version_in_force": link.target.version,
                    "state": link.target.state,
                }
                for link in links["targets"]
            ],
            "standards": [
                {
                    "id": link.standard_id,
                    "title": link.standard.title,
                    "version": link.version,
                    "version_in_force": link.standard.version,
                    "state": link.standard.state,
                }
                for link in links["standards"]
            ],
            "tasks": [
                {"id": t.pk, "title": t.title, "state": t.state, "deadline": t.deadline}
                for t in links["tasks"]
            ],
            "indicators": [
                {"code": i.code, "name": i.name, "read": i not in links["unread"]}
                for i in links["indicators"]
            ],
            "readings": [
                {
                    "indicator": r.indicator.code,
                    "value": str(r.value),
                    "status": r.status,
                    "version": r.version,
                }
                for r in links["readings"]
            ],
            "warnings": [
                {"id": w.pk, "indicator": w.indicator.code, "level": w.level, "status": w.status}
                for w in links["warnings"]
            ],
            "improvements": [
                {"id": i.pk, "title": i.title, "status": i.status} for i in links["improvements"]
            ],
            "report": (
                {"id": links["report"].pk, "status": links["report"].status}
                if links["report"]
                else None
            ),
            "conclusions": [c.conclusion for c in links["conclusions"]],
            "evidence": CycleEvidenceSerializer(links["evidence"], many=True).data,
            "gaps": services.cycle_gaps(cycle, links),
            "missing": [g.label for g in missing],
            "history": [
                {"from": entry.source_state, "to": entry.state, "at": entry.timestamp}
                for entry in links["log"]
            ],
        }


class ReadingInSerializer(serializers.Serializer):
    indicator = serializers.CharField(help_text="indicator code")
    subject = serializers.CharField(help_text="unit code, username or staff number")
    period = serializers.CharField(
        help_text="period code; for a weekly indicator also an ISO week such as 2026-W48"
    )
    value = serializers.CharField()
    source_id = serializers.CharField(
        max_length=100, help_text="the sending system's id of this reading (idempotency key)"
    )


class ReadingBulkSerializer(serializers.Serializer):
    source = serializers.SlugField(max_length=40, help_text="the sending system, e.g. 'jwxt'")
    keep_good_rows = serializers.BooleanField(default=False)
    readings = ReadingInSerializer(many=True, max_length=MAX_BULK)


class ReadingResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "existing", "error", "not_written"])
    id = serializers.IntegerField(required=False)
    errors = serializers.DictField(required=False)


class ReadingBulkResponseSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = ReadingResultSerializer(many=True)


class ReadingIngestView(APIView):
    """Push readings from another campus system. Idempotent by (subject, indicator, period,
    source, source_id): sending the same batch twice creates nothing the second time."""

    capability_for = {"POST": caps.READING_ENTER}

    @extend_schema(request=ReadingBulkSerializer, responses=ReadingBulkResponseSerializer)
    def post(self, request):
        payload = ReadingBulkSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        indicators = {i.code: i for i in Indicator.objects.all()}
        periods = {p.code: p for p in Period.objects.all()}
        results, counts = [], {"created": 0, "existing": 0, "errors": 0}
        with transaction.atomic():
            for index, row in enumerate(data["readings"]):
                indicator = indicators.get(row["indicator"])
                if indicator is None:
                    results.append(
                        {
                            "index": index,
                            "status": "error",
                            "errors": {"indicator": f"unknown indicator {row['indicator']!r}"},
                        }
                    )
                    counts["errors"] += 1
                    continue
                try:
                    with transaction.atomic():
                        reading, created = services.reading_submit(
                            actor=request.user,
                            indicator=indicator,
                            subject=selectors.find_subject(row["subject"], indicator.level),
                            period=resolve_period(
                                row["period"],
                                periods,
                                weekly=indicator.period_kind == PeriodKind.WEEK,
                            ),
                            value=row["value"],
                            source=data["source"],
                            source_id=row["source_id"],
                        )
                except ValidationError as exc:
                    results.append({"index": index, "status": "error", "errors": exc.message_dict})
                    counts["errors"] += 1
                    continue
                except PermissionDenied:
                    results.append(
                        {
                            "index": index,
                            "status": "error",
                            "errors": {"indicator": "you do not enter data for this indicator"},
                        }
                    )
                    counts["errors"] += 1
                    continue
                key = "created" if created else "existing"
                counts[key] += 1
                results.append({"index": index, "status": key, "id": reading.pk})
            rolled_back = counts["errors"] and not data["keep_good_rows"]
            if rolled_back:
                transaction.set_rollback(True)
                for r in results:
                    if r["status"] != "error":
                        r["status"] = "not_written"
                        r.pop("id", None)
                counts["created"] = counts["existing"] = 0
        body = {**counts, "results": results}
        code = status.HTTP_400_BAD_REQUEST if rolled_back else status.HTTP_200_OK
        if rolled_back:
            body = {
                "code": "invalid_rows",
                "message": "some rows are invalid; nothing was written "
                "(send keep_good_rows=true to keep the good ones)",
                **body,
            }
        return Response(body, status=code)


class IndicatorListView(generics.ListAPIView):
    """The indicators with their thresholds and data owner unit, by code, paginated (`page`), as
    the indicators page lists them: all of them with `monitoring.view`, the student level's for
    a class adviser (`monitoring.student_view`); 403 for anyone else."""

    serializer_class = IndicatorSerializer

    def get_queryset(self):
        if not access_rules.can_view_any(self.request.user):
            raise PermissionDenied
        indicators = Indicator.objects.filter(access_rules.indicator_filter(self.request.user))
        return indicators.select_related("data_owner_unit").order_by("code")


class WarningListView(generics.ListAPIView):
    """The warnings the caller may see, newest first, paginated (`page`): those of the units in
    their `monitoring.view` scope, of their own subject (a teacher, a student), and for a class
    adviser the student-level ones of their unit; for anyone else the list is empty. Filter:
    `status` (every status when left out); an unknown status is a 400."""

    serializer_class = WarningSerializer
    filter_form = WarningApiFilter

    def get_queryset(self):
        status = WarningApiFilter.read_api(self.request).cleaned_data["status"]
        qs = selectors.warnings_for(self.request.user).order_by("-raised_at", "-pk")
        return qs.filter(status=status) if status else qs


class WarningAcknowledgeView(APIView):
    """Acknowledge a warning (no body). 404 when the caller may not see it; 403 unless they
    respond for it: `monitoring.respond` over its unit, their own subject, a class adviser for
    a student-level one, or whoever holds its open step (转办, 代理). 409 when the warning's
    status does not allow it (already acknowledged or resolved). Answers the warning."""

    @extend_schema(request=None, responses=WarningSerializer)
    def post(self, request, pk):
        warning = access_rules.get_visible(request.user, Warning, pk)
        try:
            warning = services.warning_acknowledge(actor=request.user, warning=warning)
        except ValidationError as exc:
            return _conflict(exc, [])
        return Response(WarningSerializer(warning).data)


class ImprovementInSerializer(serializers.Serializer):
    warning = serializers.IntegerField(help_text="the warning this improvement answers")
    title = serializers.CharField(max_length=200)
    cause_analysis = serializers.CharField()
    measures = serializers.CharField()
    owner = serializers.CharField(help_text="the owner's username")
    deadline = serializers.DateField()


class ImprovementListView(generics.ListCreateAPIView):
    """The improvement ledger the caller may see, newest first, paginated (`page`): the
    improvements of the units in their `monitoring.view` scope, of their own subject, those
    given to them to carry out, and for a class adviser the student-level ones of their unit;
    for anyone else the list is empty. No filters."""

    serializer_class = ImprovementSerializer

    def get_queryset(self):
        return selectors.improvements_for(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=ImprovementInSerializer, responses={201: ImprovementSerializer})
    def post(self, request):
        """Open an improvement answering a warning (the warning's subject and period; an open
        warning becomes acknowledged). 404 when the caller may not see the warning; 403 unless
        they respond for it (as for acknowledging it). 400 with the errors per field: a missing
        field, an unknown or inactive `owner` or one who does not answer for the subject, a
        deadline before today. Answers
        201 with the improvement."""
        payload = ImprovementInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        warning = access_rules.get_visible(request.user, Warning, data["warning"])
        owner = User.objects.filter(username=data["owner"], is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": f"unknown user {data['owner']!r}"})
        improvement = services.improvement_open(
            actor=request.user,
            warning=warning,
            subject=warning.subject,
            period=warning.period,
            title=data["title"],
            cause_analysis=data["cause_analysis"],
            measures=data["measures"],
            owner=owner,
            deadline=data["deadline"],
        )
        return Response(ImprovementSerializer(improvement).data, status=status.HTTP_201_CREATED)


class CycleListView(generics.ListAPIView):
    """The diagnosis-and-improvement cycles (the 8-shaped spiral) the caller may see, by id,
    paginated (`page`): those of the units in their `monitoring.view` scope, of their own
    subject, and for a class adviser the student-level ones of their unit; for anyone else the
    list is empty. Filters: `level`, `stage`; a value they cannot take is a 400."""

    serializer_class = CycleSerializer
    filter_form = CycleFilter

    def get_queryset(self):
        filters = CycleFilter.read_api(self.request).cleaned_data
        qs = selectors.cycles_for(self.request.user).order_by("pk")
        return qs.filter(**{field: value for field, value in filters.items() if value})


class CycleDetailView(APIView):
    """One cycle with what it links: targets and standards (the version linked and the one in
    force), tasks, indicators and readings, warnings, improvements, the self-diagnosis report,
    conclusions, evidence, the `gaps` and `missing` evidence that keep it from moving on, and its
    stage history. 404 when the caller may not see it (as in the list, or its open step is or
    was theirs)."""

    @extend_schema(responses=CycleLinksSerializer)
    def get(self, request, pk):
        cycle = access_rules.get_visible(
            request.user, Cycle.objects.select_related("subject", "period"), pk
        )
        return Response(CycleLinksSerializer(cycle).data)


class CycleEvidenceView(APIView):
    """A cycle's evidence: listed to whoever sees the cycle; added (multipart: gate, text, and
    a file) by whoever runs it, for a gate of its current stage that data does not meet."""

    @extend_schema(responses=CycleEvidenceSerializer(many=True))
    def get(self, request, pk):
        cycle = access_rules.get_visible(
            request.user, Cycle.objects.select_related("subject", "period"), pk
        )
        evidence = selectors.cycle_links(cycle)["evidence"]
        return Response(CycleEvidenceSerializer(evidence, many=True).data)

    @extend_schema(
        request={"multipart/form-data": CycleEvidenceInSerializer},
        responses={201: CycleEvidenceSerializer},
    )
    def post(self, request, pk):
        cycle = access_rules.get_visible(
            request.user, Cycle.objects.select_related("subject", "period"), pk
        )
        payload = CycleEvidenceInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        gate = StageGate.objects.for_cycle(cycle).filter(pk=data["gate"]).first()
        if gate is None:
            raise ValidationError({"gate": _("This evidence gate belongs to another level.")})
        if gate.stage != cycle.stage:
            raise ValidationError({"gate": _("Evidence is added for the cycle's current stage.")})
        upload = data.get("file")
        if upload:
            engine_bridge.validate_upload(upload)
        evidence = services.cycle_add_evidence(
            actor=request.user, cycle=cycle, gate=gate, text=data["text"], file=upload
        )
        return Response(CycleEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class CycleAdvanceView(APIView):
    """Move a cycle to its next stage (no body). 404 when the caller may not see it; 403 unless
    they run it: its person for a personal cycle, `monitoring.cycle.run` over its unit (the
    college's own cycle: `monitoring.cycle.run_school`, the quality office), or whoever holds
    its open step (转办, 代理). 409 with the `allowed` next stage when it may not move now: a
    stage that moves by itself, gaps, missing evidence, or open warnings without an improvement
    before diagnosis. Answers the cycle."""

    @extend_schema(request=None, responses=CycleSerializer)
    def post(self, request, pk):
        cycle = access_rules.get_visible(request.user, Cycle, pk)
        try:
            cycle = services.cycle_advance(actor=request.user, cycle=cycle)
        except ValidationError as exc:
            nxt = NEXT_STAGE.get(cycle.stage)
            return _conflict(exc, [nxt] if nxt else [])
        return Response(CycleSerializer(cycle).data)
