"""`/api/v1/cases/`: list, detail, create, and one endpoint per step. Input is validated by the
same forms as the pages; an illegal step answers 409 with the steps the user may take."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access as accounts_access

from . import forms, selectors, services, views
from .access import get_case, get_notice, reporter_display
from .models import FILED_SOURCES, Case, Notice
from .permissions import CaseCap


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "number", "kind", "status", "recipient_unit", "due_at", "issued_at"]


class CaseSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")
    reporter = serializers.SerializerMethodField()
    # Not yet classified or assigned: null.
    category = serializers.StringRelatedField(allow_null=True)
    grade = serializers.StringRelatedField(allow_null=True)
    subject_unit = serializers.StringRelatedField()
    accepting_unit = serializers.StringRelatedField()
    responsible_unit = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "status",
            "status_display",
            "category",
            "grade",
            "subject_unit",
            "accepting_unit",
            "responsible_unit",
            "reporter",
            "created_at",
            "closed_at",
        ]

    def get_reporter(self, case) -> str:
        return reporter_display(self.context["request"].user, case)


class CaseDetailSerializer(CaseSerializer):
    notices = NoticeSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "findings",
            "responsible_person",
            "outcome",
            "satisfaction",
            "notices",
            "allowed_actions",
        ]

    def get_allowed_actions(self, case) -> list[str]:
        return services.allowed_actions(self.context["request"].user, case)


class CaseFileSerializer(serializers.Serializer):
    """The body of a new case, as the filing page's form (cases.forms.CaseFileForm) takes it;
    photos and documents go as multipart `files`."""

    kind = serializers.ChoiceField(choices=list(views.FILE_KINDS.values()), required=False)
    idempotency_key = serializers.UUIDField()
    title = serializers.CharField(max_length=120)
    subject_unit = serializers.IntegerField()
    other_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    category = serializers.IntegerField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=FILED_SOURCES, required=False, allow_blank=True)
    course = serializers.CharField(max_length=100, required=False, allow_blank=True)
    teacher_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    class_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=4000)
    suggested_grade = serializers.IntegerField(required=False, allow_null=True)
    reporter_hidden = serializers.BooleanField(required=False)


def _conflict(exc: services.TransitionNotAllowed) -> Response:
    return Response(
        {
            "code": "illegal_transition",
            "message": str(exc),
            "status": exc.case.status,
            "allowed": exc.allowed,
        },
        status=status.HTTP_409_CONFLICT,
    )


def _invalid(errors) -> Response:
    return Response({"code": "invalid", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class CaseListCreateView(generics.ListAPIView):
    """The cases the caller may see (cases.access.visible_cases): those they filed, their
    department's as accepting body, the responsible unit's while it rectifies, those they
    investigate or whose open step they hold (转办, 代理), the severe ones for the committee,
    every complaint for the discipline office, every ordinary case for the quality office;
    confidential cases only to whoever is tied to them, and never a case the caller is recused
    from (回避). Needs `case.file` (every role but the external expert), else 403. Newest first,
    paginated (`page`). Filters: `status`, `kind`, `category` (a top category includes its
    sub-categories), `grade`, `unit` (the subject or responsible unit, with its sub-units),
    `date_from`/`date_to` (filing day), `overdue` (1/0), `q` (title, description, or the exact
    number); a value a filter cannot take is a 400 naming the filter."""

    serializer_class = CaseSerializer
    filter_form = forms.CaseFilterForm

    def get_queryset(self):
        accounts_access.require(self.request.user, CaseCap.FILE)
        form = forms.CaseFilterForm.read_api(self.request)
        return selectors.case_list(self.request.user, form.to_filter())

    @extend_schema(
        operation_id="cases_create",
        request=CaseFileSerializer,
        responses={201: CaseDetailSerializer},
    )
    def post(self, request):
        """File a complaint (`kind` "complaint", the default; `case.file`, every role but the
        external expert) or an incident report from an inspection or observation (`kind`
        "report"; `case.report`: the committee chair, the quality office, department leaders,
        supervisors). 403 without that capability. The body is the filing page's form (JSON,
        or multipart with `files`); 400 with the errors per field when it is invalid (an
        unknown kind, a missing title, a refused file). Answers 201 with the new case as
        `GET /cases/{id}/` shows it; sending the same `idempotency_key` again answers the
        first case instead of filing a second one."""
        kind = request.data.get("kind", Case.Kind.COMPLAINT)
        if kind not in views.FILE_KINDS.values():
            return _invalid({"kind": ["complaint or report"]})
        cap = CaseCap.REPORT if kind == Case.Kind.REPORT else CaseCap.FILE
        accounts_access.require(request.user, cap)
        form = forms.CaseFileForm(request.data, request.FILES or None, kind=kind)
        if not form.is_valid():
            return _invalid(form.errors)
        data = dict(form.cleaned_data)
        uploads = data.pop("files")
        other_units = list(data.pop("other_units", []) or [])
        case = services.case_file(
            actor=request.user, kind=kind, other_units=other_units, uploads=uploads, **data
        )
        return Response(
            CaseDetailSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class CaseDetailView(APIView):
    """One case with its notices and `allowed_actions` (the steps the caller may post to
    `/cases/{id}/{action}/` now). 404 when the caller may not see it (cases.access.get_case:
    not in their visible cases and no step of it was theirs, or recused from it); the
    reporter's name reads "(hidden)" when the reporter hid it from everyone but themselves."""

    serializer_class = CaseDetailSerializer

    def get(self, request, pk):
        case = get_case(request.user, pk)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class CaseActionView(APIView):
    """POST one step: accept, refuse, transfer, escalate, classify, investigate, findings,
    determine, approve, issue_notice, feedback, rate, close, reopen, withdraw."""

    serializer_class = CaseDetailSerializer

    @extend_schema(operation_id="cases_step")
    def post(self, request, pk, action):
        if action not in views.CASE_ACTIONS or action == "attach":
            raise Http404
        _label, form_class, handler, bound = views.CASE_ACTIONS[action]
        case = get_case(request.user, pk, action)
        kwargs = {"instance": Case.objects.get(pk=case.pk)} if bound else {}
        form = form_class(request.data, request.FILES or None, **kwargs)
        if not form.is_valid():
            return _invalid(form.errors)
        try:
            handler(request, case, form)
        except services.TransitionNotAllowed as exc:
            return _conflict(exc)
        except ValidationError as exc:
            return _invalid(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        case = get_case(request.user, pk)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class NoticeActionView(APIView):
    """POST receipt, rectification_report or verify on a notice."""

    serializer_class = NoticeSerializer

    @extend_schema(operation_id="cases_notice_step")
    def post(self, request, pk, action):
        if action not in views.NOTICE_ACTIONS:
            raise Http404
        _label, form_class, handler = views.NOTICE_ACTIONS[action]
        notice = get_notice(request.user, pk, action)
        form = form_class(request.data, request.FILES or None)
        if not form.is_valid():
            return _invalid(form.errors)
        try:
            handler(request, notice, form)
        except services.TransitionNotAllowed as exc:
            return _conflict(exc)
        except ValidationError as exc:
            return _invalid(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        notice.refresh_from_db()
        return Response(NoticeSerializer(notice).data)
