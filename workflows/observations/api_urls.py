from django.urls import path

from . import api

urlpatterns = [
    path("observations/", api.ObservationListView.as_view(), name="observations"),
    path("observations/<int:pk>/", api.ObservationDetailView.as_view(), name="observation"),
]
