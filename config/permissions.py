"""The API's permission class (its own module: DRF's views import it while loading)."""

from rest_framework.permissions import IsAuthenticated


class SignedInWithCapability(IsAuthenticated):
    """The API's gate: a signed-in caller, who for the methods a view lists in `capability_for`
    ({"POST": capability}) holds that capability somewhere, checked before the body is read: a
    caller who may not create answers 403, not a 400 about fields they could never send. The
    services still decide per object (which unit, which course)."""

    def has_permission(self, request, view) -> bool:
        from accounts import access

        if not super().has_permission(request, view):
            return False
        needed = getattr(view, "capability_for", {}).get(request.method)
        return needed is None or access.has_capability(request.user, needed)
