from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("new/", views.survey_create, name="survey_create"),
    path("<int:pk>/", views.survey_detail, name="survey_detail"),
    path("<int:pk>/open/", views.survey_open, name="survey_open"),
    path("<int:pk>/close/", views.survey_close, name="survey_close"),
    path("<int:pk>/remind/", views.survey_remind, name="survey_remind"),
    path("<int:pk>/invite/", views.survey_invite, name="survey_invite"),
    path("mine/", views.mine, name="mine"),
    path("answer/<int:group_pk>/", views.answer, name="answer"),
    path("i/<int:pk>/", views.invited, name="invited"),
    path("thanks/", views.thanks, name="thanks"),
    path("teaching/", views.teaching, name="teaching"),
]
