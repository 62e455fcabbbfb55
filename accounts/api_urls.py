from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.MeView.as_view(), name="me"),
    path("units/", api.UnitCreateView.as_view(), name="unit-list"),
    path("units/<int:pk>/", api.UnitDetailView.as_view(), name="unit-detail"),
    path("units/<int:pk>/close/", api.UnitCloseView.as_view(), name="unit-close"),
    path("memberships/", api.MembershipListView.as_view(), name="membership-list"),
    path("memberships/<int:pk>/", api.MembershipDetailView.as_view(), name="membership-detail"),
]
