from django.urls import path

from . import api

urlpatterns = [
    path("review/catalogues/", api.CatalogueList.as_view(), name="review-catalogues"),
    path("review/reports/", api.ReportList.as_view(), name="review-reports"),
    path("review/reports/<int:pk>/", api.ReportDetail.as_view(), name="review-report"),
    path(
        "review/reports/<int:pk>/<slug:action>/",
        api.ReportTransition.as_view(),
        name="review-report-transition",
    ),
    path("review/rounds/", api.RoundList.as_view(), name="review-rounds"),
    path(
        "review/rounds/<int:pk>/reports/<int:report_pk>/sign/",
        api.ConclusionSign.as_view(),
        name="review-conclusion-sign",
    ),
    path(
        "review/rounds/<int:pk>/<slug:action>/",
        api.RoundTransition.as_view(),
        name="review-round-transition",
    ),
    path(
        "review/assignments/<int:pk>/findings/",
        api.AssignmentFindings.as_view(),
        name="review-findings",
    ),
    path("review/conclusions/", api.ConclusionList.as_view(), name="review-conclusions"),
]
