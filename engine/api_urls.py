from django.urls import path

from . import api

urlpatterns = [
    path("notifications/", api.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/", api.NotificationReadView.as_view(), name="notification-read"
    ),
    path(
        "notifications/preferences/",
        api.PreferenceView.as_view(),
        name="notification-preferences",
    ),
    path("jobs/failed/", api.FailedJobListView.as_view(), name="failed-job-list"),
    path(
        "jobs/failed/<int:pk>/retry/",
        api.FailedJobActionView.as_view(action="retry"),
        name="failed-job-retry",
    ),
    path(
        "jobs/failed/<int:pk>/cancel/",
        api.FailedJobActionView.as_view(action="cancel"),
        name="failed-job-cancel",
    ),
]
