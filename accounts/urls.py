from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import sso, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("sso/login/", sso.SSOLoginView.as_view(), name="sso_login"),
    path("sso/logout/", sso.SSOLogoutView.as_view(), name="sso_logout"),
    path("me/", views.me, name="me"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            success_url=reverse_lazy("accounts:password_change_done")
        ),
        name="password_change",
    ),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/rename/", views.unit_rename, name="unit_rename"),
    path("units/<int:pk>/move/", views.unit_move, name="unit_move"),
    path("units/<int:pk>/close/", views.unit_close, name="unit_close"),
    path("units/<int:pk>/members/", views.unit_members, name="unit_members"),
    path(
        "units/<int:pk>/members/<int:membership_pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("audit/", views.audit_list, name="audit_list"),
]
