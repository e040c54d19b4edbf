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
    path("hot-spots/", views.hot_spot_list, name="hot_spot_list"),
    # --- Sampling plans and rounds (helper "rounds") ---
]
