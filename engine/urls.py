from django.urls import path

from . import views

app_name = "engine"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("files/<int:pk>/", views.attachment_download, name="attachment_download"),
]
