"""The ledger export at scale: peak Python memory and time for growing row counts.

    .venv/bin/python bench/ledger_export.py [--sizes 10000 100000]

Each size is reported with its ratio to the smallest size measured in the same run: a streamed
export keeps the memory ratio near 1 while the row ratio grows ten-fold.
"""

import argparse
import datetime
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import setup_django  # noqa: E402


def export_size(export_class, findings, campaign):
    response = export_class(findings, campaign=campaign).response("xlsx")
    return sum(len(chunk) for chunk in response.streaming_content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    setup_django()

    from bench.generate import add_findings, build_city
    from campaign.models import Campaign
    from inspections.exports import FindingLedgerExport
    from inspections.models import Finding

    campaign = Campaign.objects.create(
        name="基准测试",
        level=Campaign.Level.NATIONAL,
        city="基准市",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    units = build_city(campaign, districts=4, streets=5, communities=5, departments=10)
    floor = None
    print(f"{'rows':>8}{'peak MiB':>10}{'seconds':>9}{'file MiB':>10}{'× rows':>8}{'× memory':>10}")
    for size in sorted(args.sizes):
        add_findings(campaign, units, size - Finding.objects.count())
        # Timed without tracemalloc (which slows Python several-fold), then measured with it.
        started = time.perf_counter()
        file_bytes = export_size(FindingLedgerExport, Finding.objects.all(), campaign)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        export_size(FindingLedgerExport, Finding.objects.all(), campaign)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        floor = floor or (size, peak)
        print(
            f"{size:>8}{peak / 2**20:>10.1f}{seconds:>9.1f}{file_bytes / 2**20:>10.1f}"
            f"{size / floor[0]:>8.1f}{peak / floor[1]:>10.2f}"
        )


if __name__ == "__main__":
    main()
