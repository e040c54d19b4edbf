import tracemalloc, pytest
from inspections.exports import FindingLedgerExport
from inspections.models import Finding
from tests.inspections.test_export_memory import add_findings
pytestmark = pytest.mark.django_db

def measure(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

def test_dbg(city, category):
    for n in (300, 2700):
        add_findings(city, category, n)
        e = FindingLedgerExport(Finding.objects.all(), campaign=city.campaign)
        rows = measure(lambda: sum(1 for _ in e.rows()))
        qs = measure(lambda: sum(1 for _ in Finding.objects.all().iterator(chunk_size=2000)))
        import tempfile
        def w():
            with tempfile.TemporaryFile() as f: e.write_xlsx(f)
        write = measure(w)
        print(Finding.objects.count(), "rows()", rows, "qs", qs, "write", write)
