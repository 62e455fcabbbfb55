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

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every admin on this site is audited (accounts.admin_audit): an admin class that does
        not inherit AuditedAdminMixin gets it put underneath."""
        from accounts.admin_audit import AuditedAdminMixin

        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (AuditedAdminMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)
