from .selectors import inbox_count, unread_count


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user), "inbox_count": inbox_count(user)}
