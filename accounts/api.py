from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, selectors
from .access import Cap
from .models import Membership, OrgUnit


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
