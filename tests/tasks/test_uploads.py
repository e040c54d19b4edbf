"""Evidence on progress reports: photos resized with thumbnails, documents checked, bad files refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tasks.models import ProgressUpdate, TaskEvidence

from .conftest import photo_upload


def post_progress(client, task, **files):
    data = {"text": "现场整治完成，附照片", "progress": 60, "version": task.version, **files}
    return client.post(reverse("tasks:task_progress", args=[task.pk]), data, follow=True)


def test_a_photo_is_stored_resized_with_a_thumbnail(task, personas, client_for):
    client = client_for(personas.street_liaison)
    post_progress(client, task, photos=[photo_upload(size=(4000, 3000))])
    evidence = TaskEvidence.objects.get()
    assert evidence.kind == TaskEvidence.Kind.PHOTO
    with Image.open(evidence.file.path) as image:
        assert max(image.size) <= 2048
    with Image.open(evidence.thumbnail.path) as thumb:
        assert max(thumb.size) <= 400
    response = client.get(reverse("tasks:evidence_thumbnail", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")


def test_a_text_file_posing_as_a_photo_is_refused_and_nothing_is_saved(task, personas, client_for):
    fake = SimpleUploadedFile("现场.jpg", b"this is not an image", content_type="image/jpeg")
    response = post_progress(client_for(personas.street_liaison), task, photos=[fake])
    assert ProgressUpdate.objects.count() == 0
    assert TaskEvidence.objects.count() == 0
    page = response.content.decode()
    assert response.status_code == 400
    assert "现场.jpg" in page  # the error names the file
    assert "现场整治完成，附照片" in page  # and what was typed is still there


def test_an_executable_posing_as_a_document_is_refused(task, personas, client_for):
    fake = SimpleUploadedFile(
        "台账.pdf", b"MZ\x90\x00\x03 not a pdf", content_type="application/pdf"
    )
    post_progress(client_for(personas.street_liaison), task, documents=[fake])
    assert ProgressUpdate.objects.count() == 0


def test_a_photo_larger_than_the_limit_is_refused(task, personas, client_for, settings):
    settings.PHOTO_MAX_MB = 0
    post_progress(client_for(personas.street_liaison), task, photos=[photo_upload()])
    assert ProgressUpdate.objects.count() == 0


def test_a_pdf_document_is_kept_and_downloaded_as_an_attachment(task, personas, client_for):
    pdf = SimpleUploadedFile("整改台账.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    client = client_for(personas.street_liaison)
    post_progress(client, task, documents=[pdf])
    evidence = TaskEvidence.objects.get()
    assert evidence.kind == TaskEvidence.Kind.DOCUMENT
    response = client.get(reverse("tasks:evidence_file", args=[evidence.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("count", [10])
def test_too_many_photos_at_once_are_refused(task, personas, client_for, count):
    photos = [photo_upload(name=f"{i}.jpg", size=(50, 50)) for i in range(count)]
    post_progress(client_for(personas.street_liaison), task, photos=photos)
    assert ProgressUpdate.objects.count() == 0
