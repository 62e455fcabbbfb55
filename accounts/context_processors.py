from django.utils.functional import SimpleLazyObject

from . import navigation as nav


def navigation(request):
    user = getattr(request, "user", None)
    return {
        # the flat list is for pages that ask for it; the bar renders nav_menu
        "nav_items": SimpleLazyObject(lambda: nav.items_for(user)),
        "nav_menu": nav.menu_for(user, getattr(request, "path", "")),
    }
