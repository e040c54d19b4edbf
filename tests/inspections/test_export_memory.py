"""The ledger export streams: five times the rows do not take five times the memory."""

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
    # Both sizes are above the export's read chunk (500 rows), so only the chunk is in memory.
    add_findings(city, category, 600)
    small_peak, small_size = peak_bytes(city)
    add_findings(city, category, 2400)
    large_peak, large_size = peak_bytes(city)
    assert large_size > 4 * small_size  # the file did grow
    # Rows are read in chunks and written one by one to a temporary file: five times the
    # rows must not even double the peak (a list of rows in memory would be five times it).
    assert large_peak < 2 * small_peak, (small_peak, large_peak)
