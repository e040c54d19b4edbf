"""One upload policy for every upload field: a hostile file (HTML, SVG, or an image or PDF
with a page hidden in it, named `.html`) is refused or made harmless, and whatever is kept
is never served as something a browser would run."""

import io
import time
import zipfile
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from campaign.models import EvaluationSystem, Evidence, IndicatorNode, Standard
from inspections.models import Finding, FindingCategory
from tasks.models import TaskEvidence
from tests.tasks.conftest import make_task

SCRIPT = b"<html><body><script>fetch('/org/people/')</script></body></html>"


def image_bytes(fmt, size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


# The attacks: each a file named like a page, with content that a browser could run.
PAYLOADS = {
    "html page": ("学习记录.html", SCRIPT),
    "svg with script": (
        "图.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
    ),
    "gif polyglot": ("学习记录.html", image_bytes("GIF", (1, 1)) + SCRIPT),
    "jpeg polyglot": ("学习记录.html", image_bytes("JPEG") + SCRIPT),
    "pdf polyglot": ("学习记录.html", b"%PDF-1.4\n" + SCRIPT),
}


@pytest.fixture(autouse=True)
def _no_rate_limit_left_over():
    cache.clear()  # the citizen report's hourly limit counts in the cache


@pytest.fixture
def world(personas, city, client_for):
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    node = IndicatorNode.objects.create(system=system, level=0, name="理论学习")
    standard = Standard.objects.create(
        system=system, node=node, text="党员干部理论学习", points=Decimal(1), lead_unit=city.donghua
    )
    category = FindingCategory.objects.create(campaign=city.campaign, name="占道经营")
    return SimpleNamespace(
        city=city,
        standard=standard,
        task=make_task(city),
        category=category,
        office=client_for(personas.office_admin),
        inspector=client_for(personas.inspector),
        liaison=client_for(personas.street_liaison),
    )


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/html")


# Each upload field: post the file as its form does, return the URLs that serve what was kept.
def evidence_archive(world, file):
    world.office.post(
        reverse("campaign:evidence_upload", args=[world.standard.pk]), {"upload": file}
    )
    return [reverse("campaign:evidence_file", args=[e.pk]) for e in Evidence.objects.all()]


def _progress(world, **files):
    data = {"text": "现场整治完成", "progress": 60, "version": world.task.version, **files}
    world.liaison.post(reverse("tasks:task_progress", args=[world.task.pk]), data)
    urls = []
    for e in TaskEvidence.objects.all():
        urls.append(reverse("tasks:evidence_file", args=[e.pk]))
        if e.thumbnail:
            urls.append(reverse("tasks:evidence_thumbnail", args=[e.pk]))
    return urls


def task_photos(world, file):
    return _progress(world, photos=[file])


def task_documents(world, file):
    return _progress(world, documents=[file])


def _photo_urls():
    return [
        reverse(name, args=[photo.pk])
        for finding in Finding.objects.all()
        for photo in finding.photos.all()
        for name in ("inspections:photo_file", "inspections:photo_thumb")
    ]


def finding_photos(world, file):
    data = {
        "description": "流动摊点占道经营",
        "category": world.category.pk,
        "severity": "minor",
        "address": "东华路与建设街交叉口",
        "territory": world.city.donghua.pk,
        "photos": [file],
    }
    world.inspector.post(reverse("inspections:finding_create"), data)
    return _photo_urls()


def citizen_photos(world, file):
    data = {"description": "垃圾桶满溢", "address": "东华路12号", "photo": [file]}
    Client().post(reverse("inspections:citizen_report_for", args=[world.city.campaign.pk]), data)
    return _photo_urls()


FIELDS = [evidence_archive, task_photos, task_documents, finding_photos, citizen_photos]


def assert_served_harmlessly(response):
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    if response["Content-Type"] in ("image/jpeg", "image/png"):
        # Shown inline only as a picture we wrote ourselves: nothing of the page survives.
        assert b"<script" not in body
        Image.open(io.BytesIO(body)).verify()
    else:
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert not response["Content-Disposition"].endswith((".html", ".svg"))


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.__name__)
def test_no_upload_field_ever_serves_a_file_as_active_content(world, field, payload):
    name, content = PAYLOADS[payload]
    urls = field(world, upload(name, content))
    for url in urls:
        assert_served_harmlessly(world.office.get(url))
    if payload in ("html page", "svg with script"):
        assert urls == []  # neither a photo nor a document: refused
    elif payload == "pdf polyglot":
        # A document where documents are accepted (a download), refused where photos are.
        assert bool(urls) == (field in (evidence_archive, task_documents))
    else:
        assert urls  # a real picture: kept, re-encoded


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.__name__)
def test_a_photo_keeps_no_gps_or_device_metadata(world, field):
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"  # Make
    exif[0x0110] = "Mate 60"  # Model
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG", exif=exif)
    assert b"HUAWEI" in buffer.getvalue()
    urls = field(world, SimpleUploadedFile("现场.jpg", buffer.getvalue()))
    assert urls
    for url in urls:
        response = world.office.get(url)
        body = b"".join(response.streaming_content)
        assert b"HUAWEI" not in body and b"Mate 60" not in body
        with Image.open(io.BytesIO(body)) as image:
            assert not image.getexif()


def test_a_document_downloads_under_a_name_that_matches_its_content(world):
    urls = evidence_archive(world, SimpleUploadedFile("学习记录.exe", b"%PDF-1.4\n%%EOF\n"))
    response = world.office.get(urls[0])
    assert response["Content-Type"] == "application/octet-stream"
    assert "attachment" in response["Content-Disposition"]
    assert "%E5%AD%A6%E4%B9%A0%E8%AE%B0%E5%BD%95.pdf" in response["Content-Disposition"]
    assert Evidence.objects.get().file.name.endswith(".pdf")


def test_a_zip_that_is_no_office_document_is_refused(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", SCRIPT)
    assert evidence_archive(world, SimpleUploadedFile("资料.docx", buffer.getvalue())) == []


def test_files_stored_before_the_policy_are_still_served_harmlessly(world, personas):
    """A GIF-with-a-page kept raw under an .html name by earlier code is not shown inline."""
    evidence = Evidence(
        standard=world.standard,
        kind=Evidence.Kind.IMAGE,
        original_name="学习记录.html",
        uploaded_by=personas.office_admin,
    )
    evidence.file.save("学习记录.html", SimpleUploadedFile("x", PAYLOADS["gif polyglot"][1]))
    response = world.office.get(reverse("campaign:evidence_file", args=[evidence.pk]))
    assert_served_harmlessly(response)


@pytest.fixture(scope="module")
def bomb():
    """A 14.5 KB PNG of 118.8 megapixels: Pillow by itself only warns below 120."""
    buffer = io.BytesIO()
    Image.new("1", (10_900, 10_900)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.__name__)
def test_a_decompression_bomb_is_refused_on_every_field_without_decoding_it(world, field, bomb):
    started = time.monotonic()
    assert field(world, SimpleUploadedFile("现场.png", bomb)) == []
    assert time.monotonic() - started < 3


def test_an_anonymous_report_with_three_bombs_is_refused_with_a_clear_error(world, bomb):
    data = {
        "description": "垃圾桶满溢",
        "address": "东华路12号",
        "photo": [SimpleUploadedFile(f"{i}.png", bomb) for i in range(3)],
    }
    url = reverse("inspections:citizen_report_for", args=[world.city.campaign.pk])
    response = Client().post(url, data)
    assert not Finding.objects.exists()
    assert response.status_code == 200
    assert "像素过多" in response.content.decode()


class UnreadableBody(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


def post_declaring(client, url, megabytes):
    """A POST whose Content-Length says `megabytes`, with a body that must never be read."""
    return client.post(
        url,
        CONTENT_LENGTH=str(megabytes * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )


def test_an_anonymous_body_over_the_public_cap_is_refused_before_it_is_read(world, settings):
    url = reverse("inspections:citizen_report_for", args=[world.city.campaign.pk])
    response = post_declaring(Client(), url, settings.PUBLIC_REQUEST_MAX_MB + 1)
    assert response.status_code == 413
    assert "一次上传的内容过多" in response.content.decode()


def test_a_signed_in_body_over_the_cap_is_refused_before_it_is_read(world, settings):
    url = reverse("tasks:task_progress", args=[world.task.pk])
    response = post_declaring(world.liaison, url, settings.REQUEST_MAX_MB + 1)
    assert response.status_code == 413
    assert settings.PUBLIC_REQUEST_MAX_MB < settings.REQUEST_MAX_MB <= 100


@pytest.mark.parametrize(
    ("url_name", "args"),
    [
        ("campaign:organisation_import", []),
        ("campaign:system_import", []),
        ("tasks:progress_import", []),
        ("inspections:finding_import", []),
    ],
)
def test_every_import_form_refuses_a_workbook_over_the_cap(world, settings, url_name, args):
    settings.WORKBOOK_MAX_MB = 1
    big = SimpleUploadedFile("台账.xlsx", b"PK\x03\x04" + b"\0" * (1024 * 1024 + 1))
    response = world.office.post(reverse(url_name, args=args), {"file": big, "kind": "mock"})
    assert response.status_code == 200
    assert "超过 1 MB" in response.content.decode()


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.__name__)
def test_a_photo_cut_off_halfway_is_no_server_error(world, field):
    """Refused, or (where WeasyPrint has told Pillow to accept truncated images) kept
    re-encoded: never a 500 (the test client would raise it here)."""
    data = image_bytes("JPEG", (400, 300))
    for url in field(world, SimpleUploadedFile("现场.jpg", data[: len(data) // 2])):
        assert_served_harmlessly(world.office.get(url))


def test_behind_nginx_the_same_headers_go_with_the_internal_redirect(world, settings):
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = "/protected/"
    urls = task_documents(world, SimpleUploadedFile("整改台账.html", b"%PDF-1.4\n" + SCRIPT))
    response = world.office.get(urls[0])
    assert response.content == b""
    assert response["X-Accel-Redirect"].startswith("/protected/tasks/evidence/")
    assert response["X-Accel-Redirect"].endswith("/%E6%95%B4%E6%94%B9%E5%8F%B0%E8%B4%A6.pdf")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
