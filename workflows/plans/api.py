"""REST API: /api/v1/plans/, /targets/, /standards/, /tasks/ with versions and change requests."""

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import OrgUnit
from config.api import ListFilterBackend, StrictFilterSet
from workflows.levels import Level

from . import selectors, services
from .models import (
    ChangeRequest,
    ChangeState,
    ItemState,
    Plan,
    PlanKind,
    Standard,
    Target,
    Task,
    TaskState,
)
from .permissions import get_visible


class TargetValueSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4)


def _target_values(data) -> dict[str, str]:
    """A target's yearly values in a change proposal: {"2026": "8500", ...}."""
    values = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=4)
    ).run_validation(data)
    wrong = [year for year in values if not year.isdigit()]
    if wrong:
        raise serializers.ValidationError({year: ["A year is a number."] for year in wrong})
    return {year: str(value) for year, value in values.items()}


def _state_field(choices):
    # Plain text in the schema: three models have a "state" with different choices, and one
    # enum component per name keeps drf-spectacular's naming unambiguous.
    return serializers.CharField(
        read_only=True, help_text=", ".join(str(value) for value in choices.values)
    )


_COMMON = [
    "id",
    "title",
    "level",
    "owner_unit",
    "owner_user",
    "lead_person",
    "reviewing_unit",
    "state",
    "version",
]


class PlanSerializer(serializers.ModelSerializer):
    state = _state_field(ItemState)

    class Meta:
        model = Plan
        fields = [*_COMMON, "kind", "tier", "parent", "start_year", "end_year", "summary"]
        read_only_fields = ["state", "version", "tier", "owner_user"]


class TargetSerializer(serializers.ModelSerializer):
    values = TargetValueSerializer(many=True, read_only=True)
    state = _state_field(ItemState)

    class Meta:
        model = Target
        fields = [
            *_COMMON,
            "plan",
            "category",
            "description",
            "indicator",
            "unit_of_measure",
            "baseline",
            "values",
        ]
        read_only_fields = ["state", "version", "owner_user"]


class StandardSerializer(serializers.ModelSerializer):
    state = _state_field(ItemState)

    class Meta:
        model = Standard
        fields = [*_COMMON, "text", "reference", "targets"]
        read_only_fields = ["state", "version", "owner_user"]


class TaskSerializer(serializers.ModelSerializer):
    state = _state_field(TaskState)

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "position",
            "category",
            "title",
            "deliverable",
            "lead_unit",
            "lead_unit_name",
            "assisting_units",
            "assisting_text",
            "deadline",
            "person",
            "remarks",
            "state",
        ]


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    data = serializers.JSONField()
    approved_at = serializers.DateTimeField()
    change_request = serializers.IntegerField(source="change_request_id", allow_null=True)


class ChangeRequestSerializer(serializers.ModelSerializer):
    state = _state_field(ChangeState)
    proposed = serializers.DictField(
        help_text="The changed content fields, as the item's own serializer takes them "
        "(a target's `values` as an object of year: value)."
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "kind",
            "summary",
            "reason",
            "proposed",
            "before",
            "after",
            "effect",
            "base_version",
            "state",
            "decision_comment",
            "requested_at",
            "decided_at",
        ]
        read_only_fields = [
            "kind",
            "before",
            "after",
            "effect",
            "base_version",
            "state",
            "decision_comment",
            "decided_at",
        ]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "return"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ItemFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=ItemState.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    owner_unit = django_filters.ModelChoiceFilter(queryset=OrgUnit.objects.all())


class PlanFilter(ItemFilter):
    kind = django_filters.ChoiceFilter(choices=PlanKind.choices)
    tier = django_filters.NumberFilter()
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = Plan
        fields = ["state", "level", "owner_unit", "kind", "tier", "parent"]


class TargetFilter(ItemFilter):
    plan = django_filters.NumberFilter(field_name="plan_id")

    class Meta:
        model = Target
        fields = ["state", "level", "owner_unit", "plan", "category"]


class StandardFilter(ItemFilter):
    target = django_filters.NumberFilter(field_name="targets")

    class Meta:
        model = Standard
        fields = ["state", "level", "owner_unit", "target"]


class TaskFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=TaskState.choices)
    plan = django_filters.NumberFilter(field_name="plan_id")
    lead_unit = django_filters.NumberFilter(field_name="lead_unit_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Task
        fields = ["state", "plan", "lead_unit", "category"]

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        overdue = {"state": TaskState.OPEN, "deadline__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)


def _conflict(exc: services.StateConflict):
    return Response(
        {"code": "conflict", "message": exc.message, "allowed_transitions": exc.allowed},
        status=status.HTTP_409_CONFLICT,
    )


class ChainItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and draft items; `submit`, `review`, `vote` move them along their lifecycle."""

    model = Plan
    filter_backends = [ListFilterBackend]

    def get_queryset(self):
        return selectors.visible(self.request.user, self.model).select_related("owner_unit")

    def get_object(self):
        return get_visible(self.request.user, self.model, self.kwargs["pk"])

    def _content(self, data):
        content = {}
        for name in self.model.CONTENT_FIELDS:
            if name in data:
                value = data[name]
                content[name] = value.pk if hasattr(value, "pk") else value
        return content

    def perform_create(self, serializer):
        data = serializer.validated_data
        content = self._content(data)
        if self.model is Plan:
            item = services.plan_create(
                actor=self.request.user,
                owner_unit=data["owner_unit"],
                level=data["level"],
                owner_user=self.request.user if data["kind"] in services.PERSONAL_KINDS else None,
                content=content,
                reviewing_unit=data.get("reviewing_unit"),
            )
        elif self.model is Target:
            content["values"] = {
                str(v["year"]): str(v["value"]) for v in self.request.data.get("values", [])
            }
            item = services.target_create(
                actor=self.request.user,
                plan=data["plan"],
                owner_unit=data.get("owner_unit"),
                content=content,
                reviewing_unit=data.get("reviewing_unit"),
            )
        else:
            content["targets"] = [t.pk for t in data.get("targets", [])]
            item = services.standard_create(
                actor=self.request.user,
                owner_unit=data["owner_unit"],
                level=data["level"],
                content=content,
                reviewing_unit=data.get("reviewing_unit"),
            )
        serializer.instance = item

    def _proposed(self, item, proposed: dict) -> dict:
        """The proposal checked field by field by the item's own serializer, as content."""
        fields = [*self.model.CONTENT_FIELDS, "targets"]
        data = {k: v for k, v in proposed.items() if k in fields}
        checked = self.get_serializer(item, data=data, partial=True)
        errors = {} if checked.is_valid() else dict(checked.errors)
        content = self._content(checked.validated_data) if not errors else {}
        if "targets" in data and not errors:
            content["targets"] = [t.pk for t in checked.validated_data.get("targets", [])]
        if self.model is Target and "values" in proposed:
            try:
                content["values"] = _target_values(proposed["values"])
            except serializers.ValidationError as exc:
                errors["values"] = exc.detail
        if errors:
            raise serializers.ValidationError({"proposed": errors})
        return content

    def _run(self, request, func):
        try:
            item = func()
        except services.StateConflict as exc:
            return _conflict(exc)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        item = self.get_object()
        return self._run(request, lambda: services.item_submit(actor=request.user, item=item))

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        item = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._run(
            request,
            lambda: services.item_review(
                actor=request.user,
                item=item,
                approve=body.validated_data["decision"] == "approve",
                comment=body.validated_data["comment"],
            ),
        )

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        item = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)

        def run():
            services.committee_vote(
                actor=request.user,
                subject=item,
                approve=body.validated_data["decision"] == "approve",
                comment=body.validated_data["comment"],
            )
            return type(item).objects.get(pk=item.pk)

        return self._run(request, run)

    @extend_schema(responses=VersionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, pk=None):
        item = self.get_object()
        return Response(VersionSerializer(selectors.versions_of(item), many=True).data)

    @extend_schema(methods=["GET"], responses=ChangeRequestSerializer(many=True), filters=False)
    @extend_schema(
        methods=["POST"],
        request=ChangeRequestSerializer,
        responses={201: ChangeRequestSerializer},
    )
    @action(detail=True, methods=["get", "post"], url_path="change-requests", pagination_class=None)
    def change_requests(self, request, pk=None):
        item = self.get_object()
        if request.method == "GET":
            return Response(ChangeRequestSerializer(selectors.changes_of(item), many=True).data)
        body = ChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change = services.change_request_create(
                actor=request.user,
                item=item,
                summary=body.validated_data["summary"],
                reason=body.validated_data["reason"],
                proposed=self._proposed(item, body.validated_data["proposed"]),
            )
        except services.StateConflict as exc:
            return _conflict(exc)
        return Response(ChangeRequestSerializer(change).data, status=status.HTTP_201_CREATED)


class PlanViewSet(ChainItemViewSet):
    model = Plan
    serializer_class = PlanSerializer
    filterset_class = PlanFilter


class TargetViewSet(ChainItemViewSet):
    model = Target
    serializer_class = TargetSerializer
    filterset_class = TargetFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("values")


class StandardViewSet(ChainItemViewSet):
    model = Standard
    serializer_class = StandardSerializer
    filterset_class = StandardFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("targets")


@extend_schema_view(
    list=extend_schema(
        description="The tasks the caller may see, paginated (`page`): those of the plans "
        "owned by units in their `plans.view` scope (every task for a college-wide role), "
        "those their units lead or assist (`plans.task_work`), those they are the person "
        "responsible for, and those whose open step they hold (转办, 代理); for anyone else the "
        "list is empty. Filters: `state`, `plan` (id), `lead_unit` (id), `category` (exact), "
        "`overdue` (true: open tasks past their deadline; false: all others); an empty or "
        "malformed value is a 400 naming the filter."
    ),
    retrieve=extend_schema(
        description="One task of the plans' task decomposition. 404 when it is not among the "
        "tasks the caller may see (as in the list)."
    ),
)
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    filter_backends = [ListFilterBackend]

    def get_queryset(self):
        return (
            selectors.visible_tasks(self.request.user)
            .select_related("plan")
            .prefetch_related("assisting_units")
        )


class ChangeRequestViewSet(viewsets.GenericViewSet):
    """One committee member's vote on a change request to a plan, target or standard:
    `decision` approve or return, `comment` required when returning (else 400). 404 when the
    caller may not see the item the request changes; 403 without `plans.decide` (the committee
    chair and members); 409 with the `allowed_transitions` when the request is no longer
    awaiting the committee's vote. A vote that completes the round decides the request.
    Answers the change request."""

    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.objects.all()

    @extend_schema(request=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        change = get_object_or_404(ChangeRequest, pk=pk)
        if (
            change.item is None
            or not selectors.visible(request.user, type(change.item))
            .filter(pk=change.object_id)
            .exists()
        ):
            raise Http404
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.committee_vote(
                actor=request.user,
                subject=change,
                approve=body.validated_data["decision"] == "approve",
                comment=body.validated_data["comment"],
            )
        except services.StateConflict as exc:
            return _conflict(exc)
        return Response(ChangeRequestSerializer(ChangeRequest.objects.get(pk=change.pk)).data)
