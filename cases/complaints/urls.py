from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    # Public: no login, nothing identifying kept.
    path("speak-up/", views.choose, name="choose"),
    path("complaint/", views.complaint_file, name="file"),
    path("complaint/track/", views.complaint_track, name="track"),
    path("complaint/track/add/", views.complaint_add_information, name="add_information"),
    path("complaint/track/rate/", views.complaint_rate, name="rate"),
    # The discipline office's oversight (read-only) and supervision requests.
    path("discipline/complaints/", views.oversight, name="oversight"),
    path("discipline/complaints/export.xlsx", views.oversight_export, name="oversight_export"),
    path("discipline/complaints/<int:pk>/", views.oversight_detail, name="oversight_detail"),
    path("discipline/complaints/<int:pk>/supervise/", views.supervise, name="supervise"),
    path("supervision/<int:pk>/", views.supervision_detail, name="supervision"),
]
