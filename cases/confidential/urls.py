from django.urls import path

from . import views

app_name = "confidential"
urlpatterns = [
    # Public: no login, nothing identifying kept.
    path("report/", views.report_file, name="file"),
    path("report/track/", views.report_track, name="track"),
    path("report/track/add/", views.report_add_information, name="add_information"),
    path("report/mine/", views.my_reports, name="mine"),
    # The discipline office (and people it shares one report with).
    path("discipline/reports/", views.office_list, name="office_list"),
    path("discipline/reports/export.xlsx", views.office_export, name="office_export"),
    path("discipline/reports/<int:pk>/", views.office_detail, name="office_detail"),
    path("discipline/reports/<int:pk>/advance/", views.office_advance, name="office_advance"),
    path("discipline/reports/<int:pk>/spam/", views.office_spam, name="office_spam"),
    path("discipline/reports/<int:pk>/notes/", views.office_note, name="office_note"),
    path("discipline/reports/<int:pk>/share/", views.office_share, name="office_share"),
    path("discipline/reports/<int:pk>/accused/", views.office_accused, name="office_accused"),
    path("discipline/reports/<int:pk>/open-case/", views.office_open_case, name="office_open_case"),
]
