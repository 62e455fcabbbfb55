from django.urls import path

from . import decision_views, views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/", views.indicator_list, name="indicator_list"),
    path("indicators/new/", views.indicator_edit, name="indicator_create"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("readings/new/", views.reading_create, name="reading_create"),
    path("readings/import/", views.reading_import, name="reading_import"),
    path("approvals/", views.approvals, name="approvals"),
    path("readings/decide/", views.readings_decide, name="readings_decide"),
    path("readings/<int:pk>/approve/", views.reading_approve, name="reading_approve"),
    path("readings/<int:pk>/reject/", views.reading_reject, name="reading_reject"),
    path("batches/<str:batch>/approve/", views.batch_approve, name="batch_approve"),
    path("warnings/", views.warning_list, name="warning_list"),
    path("warnings/<int:pk>/", views.warning_detail, name="warning_detail"),
    path("warnings/acknowledge/", views.warnings_acknowledge, name="warnings_acknowledge"),
    path("warnings/<int:pk>/acknowledge/", views.warning_acknowledge, name="warning_acknowledge"),
    path("warnings/<int:pk>/improve/", views.improvement_create, name="improvement_create"),
    path("improvements/", views.improvement_list, name="improvement_list"),
    path("improvements/export.<str:fmt>", views.improvement_export, name="improvement_export"),
    path("improvements/<int:pk>/", views.improvement_detail, name="improvement_detail"),
    path("improvements/<int:pk>/submit/", views.improvement_submit, name="improvement_submit"),
    path(
        "improvements/<int:pk>/sign-off/", views.improvement_sign_off, name="improvement_sign_off"
    ),
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:pk>/evidence/", views.cycle_evidence, name="cycle_evidence"),
    path("cycles/<int:pk>/texts/", views.cycle_texts, name="cycle_texts"),
    path("cycles/<int:pk>/advance/", views.cycle_advance, name="cycle_advance"),
    path("cycles/<int:pk>/link/", views.cycle_link, name="cycle_link"),
    path("cycles/<int:pk>/decisions/", decision_views.decision_propose, name="decision_propose"),
    path("decisions/<int:pk>/decide/", decision_views.decision_decide, name="decision_decide"),
    path("cycles/<int:pk>/report/", views.cycle_report_request, name="cycle_report"),
    path(
        "cycles/reports/<int:pk>/status/",
        views.cycle_report_status,
        name="cycle_report_status",
    ),
    path(
        "cycles/reports/<int:pk>/download/",
        views.cycle_report_download,
        name="cycle_report_download",
    ),
    path("overview/", views.overview, name="overview"),
    path("overview/<int:period>/appraisal.xlsx", views.appraisal_export, name="appraisal_export"),
    path("periods/", views.period_list, name="period_list"),
    path("periods/<int:pk>/open/", views.period_open, name="period_open"),
    path("openings/<int:pk>/", views.opening_detail, name="opening_detail"),
    path("subjects/<int:pk>/", views.subject_detail, name="subject_detail"),
    path("subjects/<int:pk>/trend/<int:indicator>/", views.trend_data, name="trend_data"),
]
