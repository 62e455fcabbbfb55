from django.urls import path

from . import views

app_name = "statedata"
urlpatterns = [
    path("", views.profile_list, name="profile_list"),
    path("profiles/new/", views.profile_edit, name="profile_create"),
    path("profiles/<int:pk>/edit/", views.profile_edit, name="profile_edit"),
    path("profiles/<int:pk>/upload/", views.profile_upload, name="profile_upload"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
    path("uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
]
