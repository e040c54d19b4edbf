from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.finding_list, name="finding_list"),
    path("export/", views.finding_export, name="finding_export"),
    path("inbox/", views.finding_inbox, name="finding_inbox"),
    path("supervision/", views.supervision_list, name="supervision_list"),
    path("new/", views.finding_create, name="finding_create"),
    path("new/nearby/", views.finding_nearby, name="finding_nearby"),
    path("new/suggest/", views.finding_suggest, name="finding_suggest"),
    path("import/", views.finding_import, name="finding_import"),
    path("categories/", views.category_list, name="category_list"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/assign/", views.finding_assign, name="finding_assign"),
    path("findings/<int:pk>/acknowledge/", views.finding_acknowledge, name="finding_acknowledge"),
    path("findings/<int:pk>/submit/", views.finding_submit, name="finding_submit"),
    path("findings/<int:pk>/verify/", views.finding_verify, name="finding_verify"),
    path("findings/<int:pk>/dispute/", views.finding_dispute, name="finding_dispute"),
    path("findings/<int:pk>/decide/", views.finding_decide, name="finding_decide"),
    path("findings/<int:pk>/void/", views.finding_void, name="finding_void"),
    path("findings/<int:pk>/supervise/", views.finding_supervise, name="finding_supervise"),
    path("findings/<int:pk>/interview/", views.finding_interview, name="finding_interview"),
    path("findings/<int:pk>/relapse/", views.finding_relapse, name="finding_relapse"),
    path("photos/<int:pk>/", views.photo_file, name="photo_file"),
    path("photos/<int:pk>/thumb/", views.photo_file, {"size": "thumb"}, name="photo_thumb"),
    path("photos/<int:pk>/public/", views.photo_publicity, name="photo_publicity"),
    path(
        "interviews/<int:pk>/attachment/", views.interview_attachment, name="interview_attachment"
    ),
    path(
        "supervision/<int:pk>/notice.pdf",
        views.supervision_notice,
        {"fmt": "pdf"},
        name="supervisionorder_pdf",
    ),
    path(
        "supervision/<int:pk>/notice.docx",
        views.supervision_notice,
        {"fmt": "docx"},
        name="supervisionorder_docx",
    ),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("report/", views.citizen_report, name="citizen_report"),
    path("report/<int:campaign_pk>/", views.citizen_report, name="citizen_report_for"),
    path("follow/<str:token>/", views.citizen_follow, name="citizen_follow"),
    path("open311-keys/", views.open311_key_list, name="open311_key_list"),
    path("open311-keys/<int:pk>/revoke/", views.open311_key_revoke, name="open311_key_revoke"),
]
