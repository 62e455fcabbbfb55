from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisation and accounts")

    def ready(self):
        from . import (
            services,  # noqa: F401 - registers the roster import
            unit_work,
        )

        unit_work.register(unit_work.memberships)
        from django.db import connection

        from . import access, signed_in

        if connection.vendor == "postgresql":
            signed_in.annotate(access.MEMBERSHIPS, access.memberships_expression)
