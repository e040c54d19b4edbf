from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("mine/", views.my_tasks, name="task_mine"),
    path("new/", views.task_create, name="task_create"),
    path("generate/", views.task_generate, name="task_generate"),
    path("bulk/", views.task_bulk, name="task_bulk"),
    path("export/", views.task_export, name="task_export"),
    path("import/", views.progress_import, name="progress_import"),
    path("battle-map/", views.battle_map, name="battle_map"),
    path("calendar/", views.workday_calendar, name="workday_calendar"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("parts/<int:pk>/progress/", views.part_progress, name="part_progress"),
    path("parts/<int:pk>/accept/", views.part_decide, {"action": "accept"}, name="part_accept"),
    path("parts/<int:pk>/return/", views.part_decide, {"action": "return"}, name="part_return"),
    path("<int:pk>/deadline/", views.task_deadline, name="task_deadline"),
    path("<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path(
        "evidence/<int:pk>/thumbnail/",
        views.evidence_file,
        {"thumbnail": True},
        name="evidence_thumbnail",
    ),
]
