"""A typical case's photo in a bulletin is served like every private file: its bytes decide
its type, it is never cached and never active content (issue 9, defect 1)."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from reports.bulletins import make_bulletin
from reports.models import Bulletin

from .conftest import day, make_finding


def _bulletin_with_case_photos(city, names):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    bulletin, _ = make_bulletin(campaign=city.campaign, period="2026-W44")
    data = {**bulletin.data, "cases": [{"photos": names}]}
    Bulletin.objects.filter(pk=bulletin.pk).update(data=data)
    return bulletin


def test_a_page_stored_under_a_case_photo_is_a_harmless_download(
    city, bulletin_settings, personas, client_for
):
    page = default_storage.save("findings/案例.html", ContentFile(b"<script>alert(1)</script>"))
    bulletin = _bulletin_with_case_photos(city, [page])
    response = client_for(personas.office_admin).get(
        reverse("reports:bulletin_photo", args=[bulletin.pk, 0, 0])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_case_photo_is_shown_inline_and_a_path_outside_media_is_404(
    city, bulletin_settings, personas, client_for
):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    photo = default_storage.save("findings/案例.jpg", ContentFile(buffer.getvalue()))
    bulletin = _bulletin_with_case_photos(city, [photo, "../../etc/passwd"])
    client = client_for(personas.office_admin)
    shown = client.get(reverse("reports:bulletin_photo", args=[bulletin.pk, 0, 0]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert (
        client.get(reverse("reports:bulletin_photo", args=[bulletin.pk, 0, 1])).status_code == 404
    )
