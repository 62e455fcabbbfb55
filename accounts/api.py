from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, selectors, services
from .access import Cap
from .models import Membership, OrgUnit, User


class OrgUnitSerializer(serializers.ModelSerializer):
    parent_id = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "depth", "parent_id", "is_active"]

    def get_parent_id(self, unit) -> int | None:
        return (
            self.context["ids_by_path"].get(unit.path[: -unit.steplen]) if unit.depth > 1 else None
        )


class MembershipSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="org_unit.name")

    class Meta:
        model = Membership
        fields = ["role", "org_unit_id", "unit"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    memberships = MembershipSerializer(many=True)
    capabilities = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """The signed-in person: id, user name, full name, their memberships (role and unit) and
    the capabilities those roles give (what the other endpoints check). Any signed-in account;
    403 when not signed in."""

    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "username": user.username,
            "full_name": user.full_name,
            "memberships": user.memberships.select_related("org_unit"),
            "capabilities": sorted(access.capabilities(user)),
        }
        return Response(MeSerializer(data).data)


class UnitListView(generics.ListAPIView):
    serializer_class = OrgUnitSerializer

    def get_queryset(self):
        access.require(self.request.user, Cap.UNIT_VIEW)
        return selectors.unit_tree(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page_paths = set()
        page = getattr(self, "_page_units", None)
        if page:
            page_paths = {u.path[: -u.steplen] for u in page if u.depth > 1}
        context["ids_by_path"] = dict(
            OrgUnit.objects.filter(path__in=page_paths).values_list("path", "id")
        )
        return context

    def paginate_queryset(self, queryset):
        self._page_units = super().paginate_queryset(queryset)
        return self._page_units


def _unit_data(unit: OrgUnit) -> dict:
    parent = OrgUnit.objects.get_parent(unit)
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "depth": unit.depth,
        "parent_id": parent.pk if parent else None,
        "is_active": unit.is_active,
        "closed_at": unit.closed_at,
    }


class UnitWriteSerializer(serializers.Serializer):
    parent_id = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100, required=False)
    code = serializers.CharField(max_length=40, required=False)
    kind = serializers.ChoiceField(choices=OrgUnit.Kind.choices, required=False)


def _open_unit(pk, field):
    unit = OrgUnit.objects.filter(pk=pk).first()
    if unit is None:
        raise ValidationError({field: _("No such unit.")})
    return unit


class UnitCreateView(UnitListView):
    """GET lists the visible tree; POST {parent_id, name, code, kind} adds a unit."""

    capability_for = {"POST": Cap.UNIT_TREE}

    def post(self, request):
        data = UnitWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        missing = [f for f in ("name", "code", "kind") if not values.get(f)]
        if missing:
            raise ValidationError({f: _("This field is required.") for f in missing})
        parent_id = values.get("parent_id")
        parent = _open_unit(parent_id, "parent_id") if parent_id else None
        unit = services.org_unit_create(
            actor=request.user,
            parent=parent,
            name=values["name"],
            code=values["code"],
            kind=values["kind"],
        )
        return Response(_unit_data(unit), status=status.HTTP_201_CREATED)


class UnitDetailView(generics.GenericAPIView):
    """GET one unit; PATCH {name} renames it, {parent_id} moves it."""

    serializer_class = UnitWriteSerializer

    def get(self, request, pk):
        return Response(_unit_data(access.get_unit(request.user, pk)))

    def patch(self, request, pk):
        unit = access.get_unit(request.user, pk)
        data = UnitWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        with transaction.atomic():
            if "name" in values:
                unit = services.org_unit_rename(actor=request.user, unit=unit, name=values["name"])
            if values.get("parent_id"):
                unit = services.org_unit_move(
                    actor=request.user,
                    unit=unit,
                    parent=_open_unit(values["parent_id"], "parent_id"),
                )
        unit.refresh_from_db()
        return Response(_unit_data(unit))


class UnitCloseSerializer(serializers.Serializer):
    hand_over_to = serializers.IntegerField(required=False, allow_null=True)


class UnitCloseView(generics.GenericAPIView):
    """POST {hand_over_to: unit id or null} closes the unit and its sub-units."""

    serializer_class = UnitCloseSerializer

    def post(self, request, pk):
        unit = access.get_unit(request.user, pk)
        target_id = request.data.get("hand_over_to")
        target = _open_unit(target_id, "hand_over_to") if target_id else None
        unit = services.org_unit_close(actor=request.user, unit=unit, hand_over_to=target)
        return Response(_unit_data(unit))


class MembershipRowSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    unit = serializers.CharField(source="org_unit.name")

    class Meta:
        model = Membership
        fields = ["id", "username", "full_name", "role", "org_unit_id", "unit", "created_at"]


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "unit", int, required=True, description="the unit whose memberships are listed"
            )
        ]
    )
)
class MembershipListView(generics.ListAPIView):
    """GET ?unit=<id> lists a unit's memberships; POST {username, unit, role} adds one."""

    serializer_class = MembershipRowSerializer

    def get_queryset(self):
        unit_id = self.request.query_params.get("unit", "")
        if not unit_id.isdigit():
            raise ValidationError({"unit": _("Give the unit's id.")})
        unit = access.get_unit(self.request.user, int(unit_id))
        return selectors.unit_members(unit).select_related("org_unit")

    def post(self, request):
        unit_id = request.data.get("unit")
        if not str(unit_id or "").isdigit():
            raise ValidationError({"unit": _("Give the unit's id.")})
        unit = access.get_unit(request.user, int(unit_id))
        user = User.objects.filter(username=request.data.get("username") or "").first()
        if user is None:
            raise ValidationError({"username": _("No person has this number or user name.")})
        membership = services.membership_add(
            actor=request.user, user=user, org_unit=unit, role=request.data.get("role") or ""
        )
        return Response(MembershipRowSerializer(membership).data, status=status.HTTP_201_CREATED)


class MembershipDetailView(generics.GenericAPIView):
    """DELETE takes a membership back (204, audited). 404 when the membership's unit is not
    among the units the caller sees (`unit.view`); 403 when the caller may not grant that role
    in that unit (the GrantableRole table: a department leader in the department's subtree, a
    college-wide role anywhere)."""

    serializer_class = MembershipRowSerializer

    def delete(self, request, pk):
        membership = (
            Membership.objects.filter(pk=pk, org_unit__in=access.visible_units(request.user))
            .select_related("org_unit")
            .first()
        )
        if membership is None:
            raise Http404
        services.membership_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)
