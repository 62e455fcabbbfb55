from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from config.api import Conflict
from config.parsers import ObjectJSONParser

from . import jobs, notifications, selectors, services
from .capabilities import JOBS_MANAGE
from .forms import NotificationFilter
from .models import Notification
from .nodes import job_state


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class NotificationListView(generics.ListAPIView):
    """The signed-in person's own in-app notifications, newest first, paginated (`page`); any
    signed-in account. Filter: `unread` (1 lists only the unread ones); a value it cannot take
    is a 400."""

    serializer_class = NotificationSerializer
    filter_form = NotificationFilter

    def get_queryset(self):
        queryset = selectors.notifications_for(self.request.user)
        if NotificationFilter.read_api(self.request).cleaned_data["unread"]:
            queryset = queryset.filter(read_at__isnull=True)
        return queryset


class NotificationReadView(APIView):
    """Mark one notification read (idempotent)."""

    serializer_class = NotificationSerializer

    def post(self, request, pk):
        notification = generics.get_object_or_404(selectors.notifications_for(request.user), pk=pk)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)


class FailedJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    step = serializers.CharField(source="flow_task")
    process = serializers.IntegerField(source="process_id")
    status = serializers.CharField()
    finished = serializers.DateTimeField()
    attempts = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    def get_attempts(self, task) -> int:
        return job_state(task).get("attempts", 0)

    def get_error(self, task) -> str:
        return job_state(task).get("error", "")


class FailedJobListView(generics.ListAPIView):
    """Background steps that failed after every retry (system administrators)."""

    serializer_class = FailedJobSerializer

    def get_queryset(self):
        access.require(self.request.user, JOBS_MANAGE)
        return jobs.failed_jobs()


class FailedJobActionView(APIView):
    """Retry or cancel a failed job. 409 when the job is no longer failed or someone else holds
    its process."""

    serializer_class = FailedJobSerializer
    action = ""

    def post(self, request, pk):
        task = jobs.get_failed_job(request.user, pk)
        service = jobs.job_retry if self.action == "retry" else jobs.job_cancel
        try:
            result = service(actor=request.user, task=task)
        except jobs.JobStateError as exc:
            raise Conflict(str(exc)) from exc
        return Response(FailedJobSerializer(result).data)


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(read_only=True)
    in_app = serializers.BooleanField(read_only=True, default=True)
    email = serializers.BooleanField()
    webhook = serializers.BooleanField()


class PreferenceView(APIView):
    """The signed-in user's channels per kind of message. In-app is always on; PUT a list of
    {kind, email, webhook} to change the others (kinds left out keep their setting)."""

    json_list_body = True
    # A list of rows only comes as JSON; a form body cannot say it.
    parser_classes = [ObjectJSONParser]

    serializer_class = PreferenceSerializer

    def _rows(self, user):
        return [
            {
                "kind": r["kind"].kind,
                "label": str(r["kind"].label),
                "in_app": True,
                "email": r["email"],
                "webhook": r["webhook"],
            }
            for r in selectors.preference_rows(user, notifications.user_kinds())
        ]

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request):
        return Response(self._rows(request.user))

    @extend_schema(
        request=PreferenceSerializer(many=True), responses=PreferenceSerializer(many=True)
    )
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        known = {k.kind for k in notifications.user_kinds()}
        unknown = sorted({row["kind"] for row in serializer.validated_data} - known)
        if unknown:
            raise ValidationError({"kind": [f"unknown kind: {k}" for k in unknown]})
        services.preferences_save(
            actor=request.user,
            choices={
                row["kind"]: {"email": row["email"], "webhook": row["webhook"]}
                for row in serializer.validated_data
            },
        )
        return Response(self._rows(request.user))
