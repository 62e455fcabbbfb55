from . import navigation as nav


def navigation(request):
    return {"nav_items": nav.items_for(getattr(request, "user", None))}
