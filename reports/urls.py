from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rankings/", views.ranking_list, name="ranking_list"),
    path("rankings/export/", views.ranking_export, name="ranking_export"),
    path("rules/", views.scoring_rule_edit, name="scoringrule_edit"),
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/settings/", views.bulletin_settings_edit, name="bulletinsettings_edit"),
    path("bulletins/new/", views.bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/refresh/", views.bulletin_refresh, name="bulletin_refresh"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/cases/", views.bulletin_cases, name="bulletin_cases"),
    path("bulletins/<int:pk>/pdf/", views.bulletin_pdf, name="bulletin_pdf"),
    path("bulletins/<int:pk>/docx/", views.bulletin_docx, name="bulletin_docx"),
    path(
        "bulletins/<int:pk>/photos/<int:case>/<int:index>/",
        views.bulletin_photo,
        name="bulletin_photo",
    ),
]
