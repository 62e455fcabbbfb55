from django.urls import path

from . import api

urlpatterns = [
    path("cases/", api.CaseListCreateView.as_view(), name="case-list"),
    path("cases/<int:pk>/", api.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<int:pk>/<slug:action>/", api.CaseActionView.as_view(), name="case-action"),
    path(
        "cases/notices/<int:pk>/<slug:action>/",
        api.NoticeActionView.as_view(),
        name="notice-action",
    ),
]
