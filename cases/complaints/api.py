"""/api/v1/complaints/: the public intake of anonymous complaints (no login; the tracking code
travels in the body, never in a URL), the discipline office's oversight list and supervision
requests."""

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from cases.confidential import intake, tracking
from config.schema import form_serializer

from . import selectors, services
from .capabilities import OVERSEE, SUPERVISE
from .forms import AnonymousComplaintForm, OversightFilter
from .views import ComplaintCode


def _invalid(exc: ValidationError) -> Response:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return Response({"code": "invalid", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class ChallengeView(tracking.PublicView):
    """A fresh check question for the anonymous intake (no login): a small sum and a signed
    token. Send the token as `challenge_token` and the sum as `challenge_answer` with
    `POST /complaints/intake/`; a token works once and expires after INTAKE_CHALLENGE_MAX_AGE
    (two hours by default); an expired or wrong answer is the intake's 400. Answered with
    `Cache-Control: no-store`."""

    @extend_schema(responses={200: tracking.ChallengeSerializer})
    def get(self, request):
        challenge = intake.new_challenge()
        return Response({"token": challenge.token, "question": challenge.question})


class IntakeView(tracking.PublicView):
    """File an anonymous complaint. Multipart: title, subject_unit, description, files,
    challenge_token, challenge_answer."""

    @extend_schema(
        request=form_serializer(AnonymousComplaintForm, "ComplaintIntakeSerializer"),
        responses={201: tracking.IntakeReceiptSerializer},
    )
    def post(self, request):
        try:
            intake.hit("complaint-file", intake.client_key(request), settings.INTAKE_RATE_FILE)
        except intake.RateLimited:
            return tracking.rate_limited()
        form = AnonymousComplaintForm(request.data, request.FILES)
        if not form.is_valid():
            return tracking.form_error(form)
        data = form.cleaned_data
        try:
            case, code = services.complaint_file_anonymous(
                title=data["title"],
                description=data["description"],
                subject_unit=data["subject_unit"],
                uploads=data["files"],
            )
        except ValidationError as exc:
            return _invalid(exc)
        return Response(
            {
                "number": case.number,
                "code": code,
                "warning": "Keep this code: it is shown only once.",
            },
            status=status.HTTP_201_CREATED,
        )


class ComplaintCodeApi(ComplaintCode):
    not_found_body = {"code": "not_found", "message": "No complaint matches this code."}

    def invalid(self, exc):
        return _invalid(exc)


class TrackView(ComplaintCodeApi, tracking.TrackApi):
    pass


class AddInformationView(ComplaintCodeApi, tracking.AddInformationApi):
    pass


class RateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class RateView(ComplaintCodeApi, tracking.CodeApi):
    @extend_schema(request=RateSerializer, responses={200: dict})
    def post(self, request):
        data = RateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case, refusal = self.found(request, data.validated_data["code"])
        if refusal is not None:
            return refusal
        try:
            case = services.complaint_rate(
                case=case,
                satisfaction=data.validated_data["satisfaction"],
                comment=data.validated_data.get("comment", ""),
            )
        except ValidationError as exc:
            return self.invalid(exc)
        return Response(self.public_progress(case))


# --- oversight ------------------------------------------------------------------------------------


def _row(row) -> dict:
    case = row["case"]
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "accepting_unit": str(case.accepting_unit),
        "subject_unit": str(case.subject_unit),
        "status": case.status,
        "status_label": case.get_status_display(),
        "created_at": case.created_at,
        "next_due": row["next_due"],
        "overdue_steps": [d.kind for d in row["overdue"]],
        "escalation_level": row["escalation"],
        "supervisions": row["supervisions"],
        "open_supervisions": row["open_supervisions"],
        "outcome": case.outcome,
        "satisfaction": case.satisfaction,
        "closed_at": case.closed_at,
    }


class OversightView(APIView):
    """Every complaint with its deadlines and outcome; the same filters as the page."""

    filter_form = OversightFilter

    @extend_schema(responses={200: dict})
    def get(self, request):
        access.require(request.user, OVERSEE)
        filters = OversightFilter.read_api(request)
        cases = selectors.oversight_cases(request.user, **filters.params())[:500]
        return Response({"results": [_row(r) for r in selectors.oversight_rows(cases)]})


class SuperviseSerializer(serializers.Serializer):
    request = serializers.CharField(max_length=4000)
    working_days = serializers.IntegerField(min_value=1, max_value=60, required=False)


class SuperviseView(APIView):
    """Issue a supervision request (督办) on a complaint: the accepting body's leaders must act
    and answer in writing within `working_days` working days (1-60; CASES_SUPERVISION_DAYS
    when left out). Only the discipline office (`complaint.supervise`), else 403; 404 when the
    id is not an ordinary complaint in its oversight list. 400 with the errors per field for an
    empty request or days out of range. Answers 201 with the request's id, due time and
    status."""

    @extend_schema(request=SuperviseSerializer, responses={201: dict})
    def post(self, request, pk):
        access.require(request.user, SUPERVISE)
        case = selectors.get_oversight_case(request.user, pk)
        data = SuperviseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            supervision = services.supervision_issue(
                actor=request.user,
                case=case,
                request=data.validated_data["request"],
                working_days=data.validated_data.get("working_days"),
            )
        except ValidationError as exc:
            return _invalid(exc)
        return Response(
            {"id": supervision.pk, "due_at": supervision.due_at, "status": supervision.status},
            status=status.HTTP_201_CREATED,
        )


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=4000)


class AnswerView(APIView):
    """Answer a supervision request in writing (`answer`, required). Seen by the discipline
    office and the complaint's accepting body (else 404); answered only by the accepting body,
    or by whoever holds the open step (转办, 代理), else 403. 400 when the answer is empty, 409 when
    the request was already answered. Answers the request's id and status."""

    @extend_schema(request=AnswerSerializer, responses={200: dict})
    def post(self, request, pk):
        supervision = selectors.get_supervision(request.user, pk)
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supervision = services.supervision_answer(
            actor=request.user, supervision=supervision, answer=data.validated_data["answer"]
        )
        return Response({"id": supervision.pk, "status": supervision.status})
