from django.urls import path

from . import views

app_name = "observations"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("mine/", views.about_me, name="about_me"),
    path("units/", views.scope, name="scope"),
    path("office/", views.office, name="office"),
    path("duties/<int:pk>/", views.duty, name="duty"),
    path("forms/<int:pk>/edit/", views.form_edit, name="form_edit"),
    path("quotas/new/", views.quota_edit, name="quota_new"),
    path("quotas/<int:pk>/", views.quota_edit, name="quota_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/case/", views.open_case, name="open_case"),
]
