from django.urls import path

from . import api

urlpatterns = [
    path("surveys/", api.SurveyListView.as_view(), name="surveys-list"),
    path("surveys/<int:pk>/results/", api.SurveyResultsView.as_view(), name="surveys-results"),
]
