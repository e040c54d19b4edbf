from django.urls import path

from . import views

app_name = "fieldwork"

urlpatterns = [
    # --- Sampling rounds and recurring rounds (helper "rounds") ---
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    *(
        path(
            f"rounds/<int:pk>/{action}/",
            views.round_action,
            {"action": action},
            name=f"round_{action}",
        )
        for action in views.ROUND_ACTIONS
    ),
    path("rounds/<int:pk>/route/", views.round_route, name="round_route"),
    path("rounds/<int:pk>/report/", views.round_report, name="round_report"),
    path("rounds/<int:pk>/points/<int:sample_pk>/", views.round_observe, name="round_observe"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/start/", views.schedule_start, name="schedule_start"),
    path("types/<int:pk>/standards/", views.pointtype_standards, name="pointtype_standards"),
]
