"""The evidence archive (软件资料): captioned uploads, private downloads, completeness."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from campaign.models import Evidence, Standard

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")


def captions(**extra):
    return {
        "subject": "理论学习中心组第三季度集中学习",
        "taken_on": "2026-09-20",
        "place": "市委宣传部三楼会议室",
        "people": "中心组成员12人",
        **extra,
    }


def document_standard(system):
    # 材料审核, 文明素质指挥部, lead 市委宣传部, responsible 各县区、市直各部门.
    return Standard.objects.get(system=system, text__startswith="党员干部理论学习")


def test_office_admin_uploads_a_captioned_document_and_the_standard_is_complete(
    sample_system, personas, client_for
):
    standard = document_standard(sample_system)
    client = client_for(personas.office_admin)
    url = reverse("campaign:evidence_upload", args=[standard.pk])
    response = client.post(url, {**captions(), "upload": SimpleUploadedFile("记录.pdf", PDF)})
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.kind == Evidence.Kind.DOCUMENT
    assert evidence.is_captioned
    assert evidence.original_name == "记录.pdf"
    assert "记录" not in evidence.file.name  # stored under a random name

    archive = client.get(reverse("campaign:evidence_archive", args=[sample_system.pk])).context
    row = next(s for s in archive["standards"] if s.pk == standard.pk)
    assert row.is_complete
    office = next(o for o in archive["offices"] if o["office"] == standard.lead_command_office)
    assert office["complete"] == 1
    assert office["total"] == 5  # 文明素质指挥部 has five document-review standards


def test_a_district_uploads_a_photo_without_captions_and_it_counts_as_incomplete(
    sample_system, personas, client_for
):
    standard = document_standard(sample_system)
    client = client_for(personas.district_leader)  # 东城区 is a responsible unit
    response = client.post(
        reverse("campaign:evidence_upload", args=[standard.pk]), {"upload": photo()}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.kind == Evidence.Kind.IMAGE
    assert not evidence.is_captioned
    archive = client_for(personas.office_admin).get(
        reverse("campaign:evidence_archive", args=[sample_system.pk])
    )
    row = next(s for s in archive.context["standards"] if s.pk == standard.pk)
    assert (row.evidence_count, row.captioned_count, row.is_complete) == (1, 0, False)


def test_a_file_that_is_neither_a_document_nor_a_photo_is_refused(
    sample_system, personas, client_for
):
    standard = document_standard(sample_system)
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("campaign:evidence_upload", args=[standard.pk]),
        {**captions(), "upload": SimpleUploadedFile("记录.pdf", b"<script>alert(1)</script>")},
        follow=True,
    )
    assert response.status_code == 200
    assert not Evidence.objects.exists()


def test_evidence_is_served_privately_to_those_who_see_the_standard_only(
    sample_system, personas, client_for
):
    standard = Standard.objects.get(system=sample_system, text__startswith="政府机构无失信")
    client_for(personas.office_admin).post(
        reverse("campaign:evidence_upload", args=[standard.pk]),
        {**captions(), "upload": SimpleUploadedFile("承诺.pdf", PDF)},
    )
    evidence = Evidence.objects.get()
    url = reverse("campaign:evidence_file", args=[evidence.pk])
    response = client_for(personas.leader).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"].startswith("private")
    assert client_for(personas.other_district_leader).get(url).status_code == 404
    # Leaders read only: they may not upload.
    response = client_for(personas.leader).post(
        reverse("campaign:evidence_upload", args=[standard.pk]),
        {**captions(), "upload": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 403


def test_removing_evidence_hides_it_but_keeps_the_record(sample_system, personas, client_for):
    standard = document_standard(sample_system)
    client = client_for(personas.office_admin)
    client.post(
        reverse("campaign:evidence_upload", args=[standard.pk]),
        {**captions(), "upload": SimpleUploadedFile("记录.pdf", PDF)},
    )
    evidence = Evidence.objects.get()
    other = client_for(personas.district_leader)
    assert other.post(reverse("campaign:evidence_remove", args=[evidence.pk])).status_code == 403
    assert client.post(reverse("campaign:evidence_remove", args=[evidence.pk])).status_code == 302
    evidence.refresh_from_db()
    assert evidence.removed_at is not None
    assert not standard.evidence.active().exists()
    assert client.get(reverse("campaign:evidence_file", args=[evidence.pk])).status_code == 404
