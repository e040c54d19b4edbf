from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("switch/", views.campaign_switch, name="campaign_switch"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/import/", views.organisation_import, name="organisation_import"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("command-offices/", views.command_office_list, name="command_office_list"),
    path("command-offices/new/", views.command_office_edit, name="command_office_create"),
    path("command-offices/<int:pk>/", views.command_office_detail, name="command_office_detail"),
    path("command-offices/<int:pk>/edit/", views.command_office_edit, name="command_office_edit"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_edit, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("memberships/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("audit/", views.audit_list, name="audit_list"),
    path("notifications/", views.notification_list, name="notification_list"),
]
