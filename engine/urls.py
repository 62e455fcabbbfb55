from django.urls import path

from . import delegation_views, views

app_name = "engine"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/reassign/", delegation_views.task_reassign, name="task_reassign"),
    path("notifications/settings/away/", delegation_views.absences, name="absences"),
    path(
        "notifications/settings/away/<int:pk>/delete/",
        delegation_views.absence_delete,
        name="absence_delete",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("notifications/chat-accounts/", views.chat_identities, name="chat_identities"),
    path("documents/templates/", views.document_templates, name="document_templates"),
    path(
        "documents/templates/<str:kind>/download/",
        views.document_template_download,
        name="document_template_download",
    ),
    path(
        "documents/templates/<str:kind>/v<int:version>/download/",
        views.document_template_download,
        name="document_template_version",
    ),
    path("files/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("overdue/", views.overdue_list, name="overdue_list"),
    path("jobs/failed/", views.failed_jobs, name="failed_jobs"),
    path(
        "jobs/failed/<int:pk>/retry/",
        views.failed_job_action,
        {"action": "retry"},
        name="failed_job_retry",
    ),
    path(
        "jobs/failed/<int:pk>/cancel/",
        views.failed_job_action,
        {"action": "cancel"},
        name="failed_job_cancel",
    ),
    path("calendar/import/", views.calendar_import, name="calendar_import"),
    path("imports/", views.import_runs, name="import_runs"),
    path("imports/<int:pk>/", views.import_run, name="import_run"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/retry/", views.import_retry, name="import_retry"),
]
