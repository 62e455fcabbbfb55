from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/export.docx", views.report_docx, name="report_docx"),
    path("reports/<int:pk>/evidence/upload/", views.evidence_upload, name="evidence_upload"),
    path("reports/<int:pk>/evidence/link/", views.evidence_link, name="evidence_link"),
    path(
        "reports/<int:pk>/evidence/<int:doc_pk>/", views.evidence_download, name="evidence_download"
    ),
    path("reports/<int:pk>/<slug:action>/", views.report_action, name="report_action"),
    path("personal/", views.personal_list, name="personal_list"),
    path("personal/start/<int:cycle_pk>/", views.personal_start, name="personal_start"),
    path("personal/<int:pk>/", views.personal_detail, name="personal_detail"),
    path("personal/<int:pk>/edit/", views.personal_edit, name="personal_edit"),
    path("personal/<int:pk>/export.docx", views.personal_docx, name="personal_docx"),
    path("personal/<int:pk>/<slug:action>/", views.personal_action, name="personal_action"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/review-report.docx", views.round_docx, name="round_docx"),
    path("rounds/<int:pk>/sign/<int:report_pk>/", views.conclusion_sign, name="conclusion_sign"),
    path("assignments/", views.my_assignments, name="my_assignments"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("committee/", views.committee, name="committee"),
    path("units/<int:pk>/", views.unit_status, name="unit_status"),
    path("catalogues/", views.catalogue_list, name="catalogue_list"),
    path("catalogues/<int:pk>/export.xlsx", views.catalogue_xlsx, name="catalogue_xlsx"),
    path("documents/", views.document_jobs, name="document_jobs"),
    path("documents/<int:pk>/status/", views.document_job_status, name="document_job_status"),
    path("documents/<int:pk>/download/", views.document_job_download, name="document_job_download"),
    path("public/", views.public_list, name="public_list"),
    path("public/<int:pk>/", views.public_report, name="public_report"),
    path("public/<int:pk>/export.docx", views.public_report_docx, name="public_report_docx"),
]
