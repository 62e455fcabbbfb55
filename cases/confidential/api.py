"""/api/v1/reports/: the office's endpoints (session or basic auth) and the public intake
endpoints (no login; the tracking code travels in the body, never in a URL)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import form_serializer

from . import capabilities as caps
from . import intake, selectors, services, tracking
from .forms import OfficeFilter, ReportForm, ShareForm
from .models import Report
from .tracking import IntakeReceiptSerializer
from .views import ReportCode

# --- the office -----------------------------------------------------------------------------------


class ConfidentialReportSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    subject_unit = serializers.CharField(source="subject_unit.name", default=None)

    class Meta:
        model = Report
        fields = [
            "id",
            "number",
            "status",
            "status_label",
            "subject",
            "about",
            "subject_unit",
            "is_spam",
            "created_at",
        ]


class ConfidentialReportDetailSerializer(ConfidentialReportSerializer):
    stages = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    reporter = serializers.SerializerMethodField()

    class Meta(ConfidentialReportSerializer.Meta):
        fields = [
            *ConfidentialReportSerializer.Meta.fields,
            "description",
            "not_filed_reason",
            "conclusion",
            "handling",
            "answer",
            "stages",
            "allowed_actions",
            "reporter",
        ]

    def get_stages(self, report) -> list[dict]:
        return [{"status": s.status, "at": s.at} for s in report.stages.all()]

    def get_allowed_actions(self, report) -> list[str]:
        if not selectors.can_see_reporter(self.context["request"].user):
            return []
        return services.allowed_actions(report)

    def get_reporter(self, report) -> dict | None:
        """The reporter of a named report, for the office only."""
        if not selectors.can_see_reporter(self.context["request"].user):
            return None
        if report.is_anonymous or report.reporter is None:
            return {"anonymous": True, "contact": report.contact}
        return {
            "anonymous": False,
            "name": report.reporter.get_full_name(),
            "username": report.reporter.username,
            "contact": report.contact,
        }


class ReportListView(generics.ListAPIView):
    """The confidential reports (举报) the caller may read, newest first, paginated (`page`):
    every report for the discipline office (`report.view`), otherwise only those shared with
    the caller or whose open step they hold (转办, 代理); for anyone else the list is empty.
    Filters: `status` (stage), `spam` (1 lists the reports marked spam instead of the others;
    default 0), `q` (number or whom the report is about); a value a filter cannot take is a
    400."""

    serializer_class = ConfidentialReportSerializer
    filter_form = OfficeFilter

    def get_queryset(self):
        filters = OfficeFilter.read_api(self.request)
        return selectors.office_queue(self.request.user, **filters.params())


class ReportDetailView(generics.RetrieveAPIView):
    """One confidential report with its stages. 404 when the caller may not read it (see the
    list). Who filed a named report (`reporter`) and the steps the caller may take
    (`allowed_actions`) are for the discipline office only (`report.handle`): null and empty for
    the people a report is shared with."""

    serializer_class = ConfidentialReportDetailSerializer

    def get_object(self):
        return selectors.get_report(self.request.user, self.kwargs["pk"])


class AdvanceSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(services.STEPS))
    text = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReportAdvanceView(APIView):
    """Move a report one step along the office's track: `action` is one of start_check,
    file_case, decline, investigate, conclude, handle, answer_reporter, close; decline,
    conclude, handle and answer_reporter need the written `text`. The discipline office
    (`report.handle`) or whoever holds the report's open step (转办, 代理); 404 when the caller
    may not read the report, 403 when they may read but not handle it. 400 for an unknown
    action or a missing text; 409 with the `allowed` actions when the report's stage does not
    allow this one. Answers the report as `GET /reports/{id}/` does."""

    @extend_schema(request=AdvanceSerializer, responses=ConfidentialReportDetailSerializer)
    def post(self, request, pk):
        report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
        data = AdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            report = services.report_advance(
                actor=request.user,
                report=report,
                action=data.validated_data["action"],
                text=data.validated_data.get("text", ""),
            )
        except services.IllegalTransition as exc:
            return Response(
                {
                    "code": "conflict",
                    "message": "This step is not possible in the report's current stage.",
                    "allowed": exc.allowed,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            ConfidentialReportDetailSerializer(report, context={"request": request}).data
        )


class SpamSerializer(serializers.Serializer):
    spam = serializers.BooleanField()


class ReportSpamView(APIView):
    """Mark a report as spam (`spam`: true) or take that back (false): it leaves (or rejoins)
    the queue and is never deleted. The discipline office only (`report.handle`): 404 when the
    caller may not read the report, 403 when they may read but not handle it. 409 when the
    report is closed. Answers the report as `GET /reports/{id}/` does."""

    @extend_schema(request=SpamSerializer, responses=ConfidentialReportDetailSerializer)
    def post(self, request, pk):
        report = selectors.get_report(request.user, pk, caps.REPORT_HANDLE)
        data = SpamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_mark_spam(
            actor=request.user, report=report, spam=data.validated_data["spam"]
        )
        return Response(
            ConfidentialReportDetailSerializer(report, context={"request": request}).data
        )


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ReportNoteView(APIView):
    """An internal note, by the office or by someone the report is shared with."""

    @extend_schema(request=NoteSerializer, responses={201: dict})
    def post(self, request, pk):
        report = selectors.get_report(request.user, pk)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.report_add_note(
            actor=request.user, report=report, text=data.validated_data["text"]
        )
        return Response({"id": note.pk, "created_at": note.created_at}, status=201)


class ShareSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    remove = serializers.BooleanField(default=False)


class ReportShareView(APIView):
    """Let one more person read this report (or take it back)."""

    @extend_schema(request=ShareSerializer, responses={204: None})
    def post(self, request, pk):
        report = selectors.get_report(request.user, pk, caps.REPORT_GRANT)
        data = ShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        form = ShareForm({"username": data.validated_data["username"]})
        if not form.is_valid():
            return tracking.form_error(form)
        action = services.report_unshare if data.validated_data["remove"] else services.report_share
        try:
            action(actor=request.user, report=report, user=form.cleaned_data["username"])
        except ValidationError as exc:  # the person the report accuses
            form.add_error("username", exc.messages)
            return tracking.form_error(form)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- public intake --------------------------------------------------------------------------------


class ChallengeView(tracking.PublicView):
    """A fresh check question for the report intake (no login): a small sum and a signed
    token. Send the token as `challenge_token` and the sum as `challenge_answer` with
    `POST /reports/intake/`; a token works once and expires after INTAKE_CHALLENGE_MAX_AGE
    (two hours by default); an expired or wrong answer is the intake's 400. Answered with
    `Cache-Control: no-store`."""

    @extend_schema(responses={200: tracking.ChallengeSerializer})
    def get(self, request):
        challenge = intake.new_challenge()
        return Response({"token": challenge.token, "question": challenge.question})


class IntakeView(tracking.PublicView):
    """File a report. Multipart: subject, about, description, subject_unit, contact, files,
    named (signed-in only), challenge_token, challenge_answer."""

    @extend_schema(
        request=form_serializer(ReportForm, "ReportIntakeSerializer"),
        responses={201: IntakeReceiptSerializer},
    )
    def post(self, request):
        try:
            intake.hit("report-file", intake.client_key(request), settings.INTAKE_RATE_FILE)
        except intake.RateLimited:
            return tracking.rate_limited()
        user = request.user if request.user.is_authenticated else None
        form = ReportForm(request.data, request.FILES, user=user)
        if not form.is_valid():
            return tracking.form_error(form)
        data = form.cleaned_data
        report, code = services.report_file(
            actor=user,
            subject=data["subject"],
            about=data["about"],
            description=data["description"],
            subject_unit=data["subject_unit"],
            contact=data["contact"],
            anonymous=not data.get("named"),
            uploads=data["files"],
        )
        return Response(
            {
                "number": report.number,
                "code": code,
                "warning": "Keep this code: it is shown only once.",
            },
            status=status.HTTP_201_CREATED,
        )


class ReportCodeApi(ReportCode):
    not_found_body = {"code": "not_found", "message": "No report matches this code."}


class TrackView(ReportCodeApi, tracking.TrackApi):
    pass


class AddInformationView(ReportCodeApi, tracking.AddInformationApi):
    pass
