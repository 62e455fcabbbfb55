from django.urls import path

from . import api

urlpatterns = [
    path("reports/", api.ReportListView.as_view(), name="report-list"),
    path("reports/<int:pk>/", api.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<int:pk>/advance/", api.ReportAdvanceView.as_view(), name="report-advance"),
    path("reports/<int:pk>/spam/", api.ReportSpamView.as_view(), name="report-spam"),
    path("reports/<int:pk>/notes/", api.ReportNoteView.as_view(), name="report-notes"),
    path("reports/<int:pk>/share/", api.ReportShareView.as_view(), name="report-share"),
    path("reports/intake/challenge/", api.ChallengeView.as_view(), name="report-challenge"),
    path("reports/intake/", api.IntakeView.as_view(), name="report-intake"),
    path("reports/track/", api.TrackView.as_view(), name="report-track"),
    path("reports/track/add/", api.AddInformationView.as_view(), name="report-add-information"),
]
