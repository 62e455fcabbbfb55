from django.contrib import admin


class SiteAdmin(admin.AdminSite):
    """Django admin is for holders of the system-administrator role: a staff flag alone (or a
    superuser flag left over from set-up) does not open it."""

    site_header = "诊改 Engine 管理后台"
    site_title = "诊改 Engine"
    index_title = "系统管理"

    def has_permission(self, request):
        from accounts import access

        return super().has_permission(request) and access.has_capability(
            request.user, access.Cap.ADMIN_SITE
        )
