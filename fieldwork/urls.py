from django.urls import path

from . import views

app_name = "fieldwork"

urlpatterns = [
    # --- Point register (helper "points") ---
    path("points/", views.point_list, name="point_list"),
    path("points/new/", views.point_edit, name="point_create"),
    path("points/export/", views.point_export, name="point_export"),
    path("points/import/", views.point_import, name="point_import"),
    path("points/nearest/", views.point_nearest, name="point_nearest"),
    path("points/<int:pk>/", views.point_detail, name="point_detail"),
    path("points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("point-types/", views.point_type_list, name="point_type_list"),
    path("point-types/<int:pk>/edit/", views.point_type_edit, name="point_type_edit"),
    path("map/", views.map_view, name="map"),
    path("map/data/", views.map_data, name="map_data"),
    path("map/findings/<int:pk>/", views.map_popup, name="map_popup"),
    path("hot-spots/", views.hot_spot_list, name="hot_spot_list"),
    # --- Sampling plans and rounds (helper "rounds") ---
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
    path("point-types/<int:pk>/standards/", views.pointtype_standards, name="pointtype_standards"),
]
