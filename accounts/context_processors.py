from . import navigation as nav


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "nav_items": nav.items_for(user),
        "nav_menu": nav.menu_for(user, getattr(request, "path", "")),
    }
