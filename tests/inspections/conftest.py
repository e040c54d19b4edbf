"""Builders for the ledger tests: photos made with Pillow and findings in any state."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inspections.models import FindingCategory, Severity
from inspections.services import log_finding


def make_photo(name="photo.jpg", color=(200, 80, 40), size=(64, 48), exif_time=None):
    """A real JPEG upload; with `exif_time` ("2026:03:01 09:15:00") it carries a shooting time."""
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    kwargs = {}
    if exif_time:
        exif = Image.Exif()
        exif[0x0132] = exif_time  # DateTime
        kwargs["exif"] = exif
    image.save(buffer, "JPEG", **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def photo():
    return make_photo


@pytest.fixture
def category(campaign):
    return FindingCategory.objects.create(campaign=campaign, name="占道经营")


@pytest.fixture
def make_finding(personas, city, category):
    """A finding driven through the real life cycle up to `state`, handed to `unit` (东华街道)."""

    def make(state="registered", *, unit=None, address="东华路1号", **values):
        unit = unit or city.donghua
        finding = log_finding(
            campaign=city.campaign,
            actor=personas.inspector,
            photos=[make_photo("before.jpg")],
            description=values.pop("description", "东华路口流动摊点占道经营"),
            category=values.pop("category", category),
            severity=values.pop("severity", Severity.MINOR),
            address=address,
            territory=values.pop("territory", city.donghua),
            **values,
        )
        if state == "registered":
            return finding
        if state == "voided":
            finding.void(actor=personas.office_admin, reason="重复登记")
            return finding
        finding.assign(actor=personas.office_admin, unit=unit, deadline=datetime.date(2026, 3, 10))
        if state == "assigned":
            return finding
        doer = personas.street_liaison if unit == city.donghua else personas.department_leader
        finding.acknowledge(actor=doer)
        if state == "rectifying":
            return finding
        if state == "disputed":
            finding.dispute(actor=doer, reason="不属于本单位职责")
            return finding
        finding.submit_rectification(
            actor=doer, measures="已劝离摊点并安排专人巡查", photos=[make_photo("after.jpg")]
        )
        if state == "awaiting":
            return finding
        if state == "returned":
            finding.verify(actor=personas.inspector, passed=False, note="仍有摊点")
            return finding
        finding.verify(actor=personas.inspector, passed=True, note="整改到位")
        assert state == "closed"
        return finding

    return make
