from django.urls import path

from . import api

urlpatterns = [
    path("complaints/intake/challenge/", api.ChallengeView.as_view(), name="complaint-challenge"),
    path("complaints/intake/", api.IntakeView.as_view(), name="complaint-intake"),
    path("complaints/track/", api.TrackView.as_view(), name="complaint-track"),
    path("complaints/track/add/", api.AddInformationView.as_view(), name="complaint-add"),
    path("complaints/track/rate/", api.RateView.as_view(), name="complaint-rate"),
    path("complaints/oversight/", api.OversightView.as_view(), name="complaint-oversight"),
    path("complaints/<int:pk>/supervise/", api.SuperviseView.as_view(), name="complaint-supervise"),
    path("supervisions/<int:pk>/answer/", api.AnswerView.as_view(), name="supervision-answer"),
]
