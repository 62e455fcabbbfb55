from django.urls import path

from . import views
from .flows import CaseFlow

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("export.xlsx", views.case_export, name="export"),
    path("inbox/", views.inbox, name="inbox"),
    path("new/<slug:kind>/", views.case_file, name="file"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.case_action, name="action"),
    path("notices/<int:pk>/act/<slug:action>/", views.notice_action, name="notice_action"),
    path("notices/<int:pk>/notice.docx", views.notice_docx, name="notice_docx"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("analysis.docx", views.analysis_docx, name="analysis_docx"),
    # the CaseFlow task pages: /cases/tasks/<process>/<node>/<task>/execute/
    path("tasks/", CaseFlow.instance.urls),
]
