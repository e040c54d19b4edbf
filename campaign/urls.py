from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("switch/", views.campaign_switch, name="campaign_switch"),
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/new/", views.unit_edit, name="unit_create"),
    path("units/autocomplete/", views.unit_autocomplete, name="unit_autocomplete"),
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
    path("audit/export/", views.audit_export, name="audit_export"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
    path("notifications/preferences/", views.notice_preferences, name="notice_preferences"),
    path("notifications/mobile/", views.notice_mobile, name="notice_mobile"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_edit, name="channel_create"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    # Evaluation systems (测评体系), self-assessment and the evidence archive.
    path("systems/", views.system_list, name="system_list"),
    path("systems/import/", views.system_import, name="system_import"),
    path("systems/<int:pk>/", views.system_detail, name="system_detail"),
    path("systems/<int:pk>/edit/", views.system_edit, name="system_edit"),
    path("systems/<int:pk>/export/", views.system_export, name="system_export"),
    path("systems/<int:pk>/score/", views.system_score, name="system_score"),
    path("systems/<int:pk>/evidence/", views.evidence_archive, name="evidence_archive"),
    path("standards/<int:pk>/", views.standard_detail, name="standard_detail"),
    path("standards/<int:pk>/edit/", views.standard_edit, name="standard_edit"),
    path("standards/<int:pk>/assess/", views.standard_assess, name="standard_assess"),
    path("standards/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
]
