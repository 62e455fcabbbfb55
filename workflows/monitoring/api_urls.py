from django.urls import path

from . import api

urlpatterns = [
    path("monitoring/readings/", api.ReadingIngestView.as_view(), name="monitoring-readings"),
    path("monitoring/indicators/", api.IndicatorListView.as_view(), name="monitoring-indicators"),
    path("monitoring/warnings/", api.WarningListView.as_view(), name="monitoring-warnings"),
    path(
        "monitoring/warnings/<int:pk>/acknowledge/",
        api.WarningAcknowledgeView.as_view(),
        name="monitoring-warning-acknowledge",
    ),
    path(
        "monitoring/improvements/",
        api.ImprovementListView.as_view(),
        name="monitoring-improvements",
    ),
    path("monitoring/cycles/", api.CycleListView.as_view(), name="monitoring-cycles"),
    path("monitoring/cycles/<int:pk>/", api.CycleDetailView.as_view(), name="monitoring-cycle"),
    path(
        "monitoring/cycles/<int:pk>/evidence/",
        api.CycleEvidenceView.as_view(),
        name="monitoring-cycle-evidence",
    ),
    path(
        "monitoring/cycles/<int:pk>/advance/",
        api.CycleAdvanceView.as_view(),
        name="monitoring-cycle-advance",
    ),
]
