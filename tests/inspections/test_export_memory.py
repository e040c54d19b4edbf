"""The ledger export streams: ten times the rows do not take ten times the memory."""

import datetime
import tracemalloc

import pytest

from inspections.exports import FindingLedgerExport
from inspections.models import Finding, Status

pytestmark = pytest.mark.django_db


def add_findings(city, category, n):
    Finding.objects.bulk_create(
        Finding(
            campaign=city.campaign,
            source="routine",
            description=f"第{i}号问题：东华路沿街商铺跨门经营、占道堆放货物，影响行人通行" * 2,
            category=category,
            address=f"东华路{i}号",
            territory=city.donghua,
            unit=city.donghua,
            status=Status.ASSIGNED,
            deadline=datetime.date(2026, 3, 10),
        )
        for i in range(n)
    )


def peak_bytes(city):
    export = FindingLedgerExport(Finding.objects.all(), campaign=city.campaign)
    tracemalloc.start()
    try:
        response = export.response("xlsx")
        size = sum(len(chunk) for chunk in response.streaming_content)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_export_memory_stays_flat_as_rows_grow(city, category):
    add_findings(city, category, 400)
    small_peak, small_size = peak_bytes(city)
    add_findings(city, category, 3600)
    large_peak, large_size = peak_bytes(city)
    assert large_size > 5 * small_size  # the file did grow
    # Rows are written one by one to a temporary file: memory grows far less than the rows.
    assert large_peak < 2 * small_peak, (small_peak, large_peak)
