from django.urls import path

from . import views

app_name = "plans"

KIND = "<str:kind>/<int:pk>/"

urlpatterns = [
    path("", views.index, name="index"),
    path("inbox/", views.inbox, name="inbox"),
    path("gaps/", views.gaps, name="gaps"),
    path("new/<str:kind>/", views.item_create, name="item_create"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/evidence/", views.task_evidence, name="task_evidence"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("plan/<int:plan_pk>/tasks/new/", views.task_create, name="task_create"),
    path("flow/<int:process_pk>/<int:task_pk>/", views.flow_task, name="flow_task"),
    path("changes/<int:pk>/", views.change_detail, name="change_detail"),
    path("changes/<int:pk>/vote/", views.change_vote, name="change_vote"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/names/", views.import_map_names, name="import_map_names"),
    path("export/<str:what>.<str:fmt>", views.export, name="export"),
    path("exports/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path(KIND, views.item_detail, name="item_detail"),
    path(KIND + "edit/", views.item_edit, name="item_edit"),
    path(KIND + "submit/", views.item_submit, name="item_submit"),
    path(KIND + "review/", views.item_review, name="item_review"),
    path(KIND + "vote/", views.item_vote, name="item_vote"),
    path(KIND + "retire/", views.item_retire, name="item_retire"),
    path(KIND + "delete/", views.item_delete, name="item_delete"),
    path(KIND + "reviewing/", views.item_reviewing_unit, name="item_reviewing_unit"),
    path(KIND + "document/", views.item_document, name="item_document"),
    path(KIND + "change/", views.change_create, name="change_create"),
    path(KIND + "diff/", views.item_diff, name="item_diff"),
]
