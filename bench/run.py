"""Benchmarks: every main page for three personas and every job, each against a floor.

    DATABASE_URL=postgres://…/cc_scale_bench .venv/bin/python bench/run.py --size city
    .venv/bin/python bench/run.py --size smoke                     (a throwaway SQLite file)
    .venv/bin/python bench/run.py --size 20k --out a.json ; … --out b.json --compare a.json
    DATABASE_URL=postgres://…/cc_city … bench/run.py --size city --pages-only \
        --against 20k postgres://…/cc_20k     (each page at both sizes, in turns)

The city of the named size is generated on first use (bench/generate.py) and reused after
(`--fresh` rebuilds it). Each page is timed for the office, a district leader and a street
liaison; each is printed with its median, p95 and query count and its ratio to a floor
measured in the same run: for a list, the same scoped query rendered as bare JSON; for
rankings and the dashboard, one hand-written SQL aggregate; for the bulletin PDF, WeasyPrint
alone on the same HTML; for exports, openpyxl write-only on the same rows. Results go to a
JSON file so two runs (two sizes, two commits) can be compared. `--against SIZE URL` times
every page at a second size in the same run, in turns with the first, and prints how much
each page's median grew: two runs minutes apart differed by a third on a shared machine.
The pages' run ends with the scale issue's bars (`bars`): how many pages meet each, and which
do not.

`--check-queries FILE` compares each page's query count with a committed budget and exits
1 on any increase (tests/bench runs this at smoke size); `--write-budget FILE` records one.
"""

import argparse
import datetime
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERSONAS = ("office", "district", "street")
# Stop sampling a page once it has used this many seconds (after at least three samples).
SECONDS_PER_ITEM = 20


def setup_django(migrate=True):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOW_INSECURE_KEY", "1")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    configure()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if migrate:
        call_command("migrate", verbosity=0)


def configure():
    """Production settings (DEBUG off) with the floors mounted and plain static files."""
    import logging
    import warnings

    from django.conf import settings
    from django.urls import clear_url_caches

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")
    settings.ALLOWED_HOSTS = ["*"]
    settings.ROOT_URLCONF = "bench.urls"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    clear_url_caches()


class Databases:
    """The databases this process times pages on, each a side: the measured city's
    ("here") and, with `--against`, a smaller city's ("against"), used in turns so that a
    page's medians at both sizes are taken in the same stretch of the machine's time, as a
    page and its floor are. Each side has its own connection, cache key prefix and kept
    values (`campaign.kept`); `use` switches all three."""

    def __init__(self, against_url=None):
        import dj_database_url
        from django.core.cache import cache
        from django.db import connections

        from campaign import kept

        self._connections, self._cache, self._kept = connections, cache, kept
        here = connections["default"]
        self.sides = {"here": (here, cache.key_prefix, kept.KEPT)}
        if against_url:
            parsed = dj_database_url.parse(against_url)
            if parsed["ENGINE"] != here.settings_dict["ENGINE"]:
                sys.exit("--against needs a database of the same kind as DATABASE_URL.")
            where = {key: parsed[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
            there = type(here)({**here.settings_dict, **where}, "default")
            self.sides["against"] = (there, f"{cache.key_prefix}-against", {})

    def use(self, side):
        self._connections["default"], self._cache.key_prefix, self._kept.KEPT = self.sides[side]

    def on(self, side, call):
        """`call`, made on `side`'s database; with one database, `call` as it is."""
        if len(self.sides) == 1:
            return call

        def switched():
            self.use(side)
            call()

        return switched


# --- What is measured ------------------------------------------------------------------------


def pages(ids):
    """(name, url, floor url or None, personas) for every main page."""
    week = ids["this_week"]
    return [
        ("home", "/", None, PERSONAS),
        ("ledger", "/ledger/", "/_floor/findings/", PERSONAS),
        ("ledger page 5", "/ledger/?page=5", "/_floor/findings/?page=5", PERSONAS),
        ("ledger open", "/ledger/?status=open", "/_floor/findings/?status=open", PERSONAS),
        ("ledger search", "/ledger/?q=建设路1", "/_floor/findings/?q=建设路1", PERSONAS),
        ("ledger inbox", "/ledger/inbox/", "/_floor/inbox/", PERSONAS),
        ("supervision", "/ledger/supervision/", "/_floor/supervision/", PERSONAS),
        ("finding", "/ledger/findings/{finding}/", "/_floor/findings/{finding}/", PERSONAS),
        ("tasks", "/tasks/", "/_floor/tasks/", PERSONAS),
        ("my tasks", "/tasks/mine/", "/_floor/tasks/mine/", ("district", "street")),
        ("task", "/tasks/{task}/", "/_floor/tasks/{task}/", PERSONAS),
        ("battle map", "/tasks/battle-map/", None, PERSONAS),
        ("units", "/org/units/", "/_floor/units/", PERSONAS),
        ("standards", "/org/systems/{system}/", "/_floor/systems/{system}/", PERSONAS),
        ("dashboard", "/reports/", "/_floor/dashboard/", PERSONAS),
        ("rankings", "/reports/rankings/", "/_floor/rankings/", PERSONAS),
        (
            "rankings this week",
            f"/reports/rankings/?period={week}",
            f"/_floor/week/?end={ids['week_end']}",
            PERSONAS,
        ),
        ("bulletins", "/reports/bulletins/", "/_floor/bulletins/", PERSONAS),
        ("points", "/field/points/", "/_floor/points/", PERSONAS),
        ("map", "/field/map/", None, PERSONAS),
        ("map data", "/field/map/data/", "/_floor/map/", PERSONAS),
    ]


# What the scale issue holds pages to, read from a run by `bars`: list pages (and the
# reports) for the office and a street liaison against their floors and their median at a
# smaller city, and every page's median against one bound.
LIST_PAGES = (
    "ledger", "ledger page 5", "ledger open", "ledger search", "ledger inbox", "supervision",
    "tasks", "my tasks", "units", "standards", "bulletins", "points", "map data",
)  # fmt: skip
REPORT_PAGES = ("dashboard", "rankings", "rankings this week")
BARS_FOR = ("office", "street")
MAX_RATIO, MAX_GROWTH, MAX_MEDIAN_MS = 1.5, 1.3, 300


def bars(results):
    """[(bar, results held to it, those over it as "page · who value")] for a run's pages;
    the growth bar holds nothing without `--against`."""

    def held(names, key):
        return [
            r
            for r in results
            if r["name"] in names and r["who"] in BARS_FOR and r.get(key) is not None
        ]

    own_floor = [r for r in held(LIST_PAGES, "ratio") if r["floor"] == "own"]
    reports = [r for r in held(REPORT_PAGES, "ratio") if r["floor"] == "own"]
    checks = [
        (f"list pages ≤ {MAX_RATIO}× their floor", own_floor, "ratio", MAX_RATIO),
        (f"list pages ≤ {MAX_GROWTH}× their median at --against", held(LIST_PAGES, "growth"),
         "growth", MAX_GROWTH),
        (f"rankings, dashboard ≤ {MAX_RATIO}× their floor", reports, "ratio", MAX_RATIO),
        (f"every page ≤ {MAX_MEDIAN_MS} ms median", [r for r in results if r["who"] != "anonymous"],
         "median_ms", MAX_MEDIAN_MS),
    ]  # fmt: skip
    return [
        (bar, held_to, [f"{r['name']} · {r['who']} {r[key]}" for r in held_to if r[key] > most])
        for bar, held_to, key, most in checks
    ]


def print_bars(page_bars):
    print(f"\nthe scale issue's bars ({', '.join(BARS_FOR)} for the first three)")
    for bar, held_to, over in page_bars:
        met = f"{len(held_to) - len(over)} of {len(held_to)}" if held_to else "not measured"
        print(f"  {bar:<46}{met:>12}" + (f"   over: {', '.join(over)}" if over else ""))


def sample(func, *, repeat, budget=SECONDS_PER_ITEM, cpu=None):
    """Seconds per call: one warm-up, then up to `repeat` timed calls within `budget` (after
    at least three); with a `cpu` list, this process's CPU seconds per call are appended to
    it (on a shared machine the wall clock also measures the neighbours)."""
    (samples,) = sample_in_turns([func], repeat=repeat, budget=budget, cpus=[cpu])
    return samples


def sample_in_turns(funcs, *, repeat, budget=SECONDS_PER_ITEM, cpus=None):
    """`sample` for several calls timed in turns (a page, then its floor, then the page …),
    a list of seconds per call for each: a stretch when the machine runs slower (a busy
    neighbour on a shared host) slows both alike. Timed one after the other, a page's ratio
    to its floor moved by ±0.4 between runs on such a machine."""
    cpus = cpus or [None] * len(funcs)
    for func in funcs:
        func()
    samples, spent = [[] for _func in funcs], 0.0
    while len(samples[0]) < repeat and (len(samples[0]) < 3 or spent < budget * len(funcs)):
        for func, times, cpu in zip(funcs, samples, cpus, strict=True):
            started, started_cpu = time.perf_counter(), time.process_time()
            func()
            times.append(time.perf_counter() - started)
            if cpu is not None:
                cpu.append(time.process_time() - started_cpu)
            spent += times[-1]
    return samples


def summary(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 1), round(p95 * 1000, 1)


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    b"".join(response.streaming_content) if response.streaming else response.content
    return response


def count_queries(client, url):
    """The queries of one request after a first one: a page's steady state, whatever an
    earlier visit left to do (an unsaved week's figures are computed once, by a job)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get(client, url)
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


def clients():
    from django.test import Client

    from accounts.testing import force_login
    from bench.generate import DISTRICT_LEADER, OFFICE, STREET_LIAISON
    from campaign.models import Person

    made = {}
    for persona, username in zip(PERSONAS, (OFFICE, DISTRICT_LEADER, STREET_LIAISON), strict=True):
        made[persona] = force_login(Client(), Person.objects.get(username=username))
    return made


def object_ids(campaign):
    """Objects the pages open: a finding and a task every persona may see, the system, weeks."""
    from bench.generate import STREET_LIAISON
    from campaign.models import EvaluationSystem, Person
    from inspections.models import Finding
    from reports.periods import iso_period, period_bounds
    from tasks.models import Task

    street = Person.objects.get(username=STREET_LIAISON)
    this_week = iso_period(datetime.date.today())
    return {
        "finding": Finding.objects.visible_to(street).filter(campaign=campaign).first().pk,
        "task": Task.objects.visible_to(street).filter(campaign=campaign).first().pk,
        "system": EvaluationSystem.objects.filter(campaign=campaign).first().pk,
        "this_week": this_week,
        "week_end": period_bounds(this_week)[1].isoformat(),
    }


def query_counts(campaign):
    """{"page · persona": queries} for every page (one request each, no timing)."""
    ids = object_ids(campaign)
    signed_in = clients()
    return {
        f"{name} · {persona}": count_queries(signed_in[persona], url.format(**ids))
        for name, url, _floor, personas in pages(ids)
        for persona in personas
    }


def time_pages(databases, campaigns, *, repeat, log, only=None):
    """Every page for every persona, in turns with its floor and, on every side of
    `databases` (`campaigns` holds each side's city), the page and floor there: a second
    side's median and growth go on the result (`add_against`)."""
    from django.test import Client

    setups = {}
    for side, campaign in campaigns.items():
        databases.use(side)
        setups[side] = (object_ids(campaign), clients())
    databases.use("here")
    here_ids, signed_in = setups["here"]
    anonymous = Client()
    sign_in = sample(lambda: get(anonymous, "/login/"), repeat=repeat)
    results = [item("sign-in page", "anonymous", sign_in, None, 0)]
    log(results[-1])
    for name, url, floor_url, personas in pages(here_ids):
        if only and name not in only:
            continue
        urls = [url, floor_url] if floor_url else [url]
        for persona in personas:
            # Per side, the page then its floor: here's first, then the other side's.
            calls = [
                databases.on(side, functools.partial(get, people[persona], u.format(**ids)))
                for side, (ids, people) in setups.items()
                for u in urls
            ]
            queries = count_queries(signed_in[persona], url.format(**here_ids))
            cpus = [[] for _call in calls]
            timed = sample_in_turns(calls, repeat=repeat, cpus=cpus)
            databases.use("here")
            floor = timed[1] if floor_url else sign_in
            results.append(item(name, persona, timed[0], floor, queries, floor_url is None))
            if floor_url:
                # This process's CPU (Python: ORM, templates) apart from the database's and the
                # neighbours' time, which the wall clock also counts on a shared machine.
                add_cpu(results[-1], cpus[0], cpus[1])
            if len(timed) > len(urls):  # the other side's page (and floor)
                add_against(results[-1], timed[0], *timed[len(urls) :])
            log(results[-1])
    return results


def item(name, who, samples, floor, queries, floor_is_sign_in=False):
    median, p95 = summary(samples)
    result = {"name": name, "who": who, "median_ms": median, "p95_ms": p95, "queries": queries}
    if floor:
        floor_median, _p95 = summary(floor)
        result["floor_ms"] = floor_median
        result["floor"] = "sign-in page" if floor_is_sign_in else "own"
        result["ratio"] = _times(samples, floor) if floor_median else None
    return result


def _times(samples, other):
    """How many times the median of `samples` is that of `other`, as measured: the bars
    compare this (a page at 1.503 is over 1.5), the table shows it to two places."""
    return round(statistics.median(samples) / statistics.median(other), 3)


def add_against(result, samples, there, there_floor=None):
    """The page's median at the other size (and its floor's) on `result`, and `growth`: this
    median over that one."""
    result["against_median_ms"] = summary(there)[0]
    result["growth"] = _times(samples, there)
    if there_floor:
        result["against_floor_ms"] = summary(there_floor)[0]


def add_cpu(result, cpu, floor_cpu):
    """The medians of this process's CPU seconds per call, and their ratio, on `result`."""
    cpu_floor = statistics.median(floor_cpu)
    result["cpu_ms"] = round(statistics.median(cpu) * 1000, 1)
    result["floor_cpu_ms"] = round(cpu_floor * 1000, 1)
    result["cpu_ratio"] = round(statistics.median(cpu) / cpu_floor, 2) if cpu_floor else None


class Rollback(Exception):
    pass


def rolled_back(func):
    """Run `func` in a transaction that is undone, so a timed job leaves the data as it was."""
    from django.db import transaction

    def run():
        try:
            with transaction.atomic():
                func()
                raise Rollback
        except Rollback:
            pass

    return run


def time_jobs(campaign, *, repeat, log, memory=False):
    """Snapshot, rankings, bulletin PDF, exports and imports, each against its floor."""
    from django.db import connection

    from reports import periods, rankings

    ids = object_ids(campaign)
    week = ids["this_week"]
    results = []
    start, end = periods.period_bounds(week)
    aggregate_sql = (
        "SELECT unit_id, COUNT(*), SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END)"
        " FROM inspections_finding WHERE campaign_id = %s AND found_on <= %s"
        " AND status <> 'voided' GROUP BY unit_id"
    )

    def aggregate():
        with connection.cursor() as cursor:
            cursor.execute(aggregate_sql, [campaign.pk, end])
            cursor.fetchall()

    floor = sample(aggregate, repeat=repeat)
    snapshot = sample(
        rolled_back(lambda: rankings.take_snapshot(campaign=campaign, period=week, refresh=True)),
        repeat=repeat,
    )
    results.append(item("snapshot (a week)", "job", snapshot, floor, None))
    log(results[-1])
    live = sample(lambda: rankings.live_rows(campaign, week), repeat=repeat)
    results.append(item("rankings (unsaved week)", "job", live, floor, None))
    log(results[-1])

    results += time_pdf(campaign, repeat=repeat, log=log)
    results += time_exports(campaign, repeat=repeat, log=log, memory=memory)
    results += time_imports(campaign, repeat=repeat, log=log)
    return results


def time_pdf(campaign, *, repeat, log):
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from campaign.documents import LocalFilesOnly
    from reports.bulletins import make_bulletin
    from reports.exports import bulletin_context, render_bulletin_pdf_bytes
    from reports.models import Bulletin, PeriodSnapshot

    latest = PeriodSnapshot.objects.filter(campaign=campaign).first()
    bulletin = Bulletin.objects.filter(campaign=campaign, period=latest.period).first()
    if bulletin is None:
        bulletin, _created = make_bulletin(
            campaign=campaign, period=latest.period, auto_publish=False
        )
    html = render_to_string("reports/pdf/bulletin.html", bulletin_context(bulletin))
    pdf, floor = sample_in_turns(
        [
            lambda: render_bulletin_pdf_bytes(bulletin),
            lambda: HTML(
                string=html, base_url="static:/", url_fetcher=LocalFilesOnly()
            ).write_pdf(),
        ],
        repeat=repeat,
    )
    result = item("bulletin PDF", "job", pdf, floor, None)
    log(result)
    return [result]


EXPORT_ROWS = 100_000


def export_through_the_web(client, cutoff):
    """The office asks for the ledger found since `cutoff` on the web; the export job runs
    (in this process: the bench has no broker, so the outbox delivers it at commit, as a
    worker would); the job page says it is done and the file is downloaded."""
    from campaign.models import ExportJob

    query = f"?found_after={cutoff.isoformat()}" if cutoff else ""
    asked = client.get(f"/ledger/export/{query}")
    assert asked.status_code == 302 and "/org/exports/" in asked["Location"], asked
    job = ExportJob.objects.order_by("-pk").first()
    page = client.get(asked["Location"])
    assert page.status_code == 200 and job.pk and ExportJob.objects.get(pk=job.pk).file
    download = client.get(f"{asked['Location']}download/")
    size = sum(len(chunk) for chunk in download.streaming_content)
    download.close()
    ExportJob.objects.get(pk=job.pk).file.delete()
    return size


def time_exports(campaign, *, repeat, log, memory=False, job_only=False):
    """The office's ledger export of (up to) 100k rows, XLSX and CSV, against openpyxl
    write-only on the same rows, and through the web as a job (the request queues it, the
    job writes it, the person downloads it); with `memory`, the peak Python memory of one
    XLSX run and of the job at 10k and at 100k rows (flat: the same peak)."""
    import tracemalloc

    from openpyxl import Workbook

    from inspections.exports import FindingLedgerExport
    from inspections.models import Finding

    every = Finding.objects.filter(campaign=campaign).order_by("-found_on", "-pk")

    def since(n):
        return every.values_list("found_on", flat=True)[n - 1 : n].first()

    cutoff = since(EXPORT_ROWS)
    rows = every.filter(found_on__gte=cutoff) if cutoff else every
    count = rows.count()
    office = clients()["office"]

    def export(kind):
        response = FindingLedgerExport(rows, campaign=campaign).response(kind)
        for _chunk in response.streaming_content:
            pass
        response.close()

    def openpyxl_alone():
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        columns = [
            "pk", "found_on", "source", "category__name", "description", "address",
            "territory__name", "unit__name", "severity", "standard__code", "deadline",
            "status", "supervision_level", "measures", "closed_at",
        ]  # fmt: skip
        for row in rows.order_by("found_on", "pk").values_list(*columns).iterator(2000):
            sheet.append([v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for v in row])
        with tempfile.TemporaryFile() as out:
            book.save(out)

    def peak_mib(func):
        tracemalloc.start()
        try:
            func()
            return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        finally:
            tracemalloc.stop()

    results = []
    floor_cpu, job_cpu = [], []
    job, floor = sample_in_turns(
        [lambda: export_through_the_web(office, cutoff), openpyxl_alone],
        repeat=repeat,
        cpus=[job_cpu, floor_cpu],
    )
    for kind in () if job_only else ("xlsx", "csv"):
        samples = sample(lambda: export(kind), repeat=repeat)  # noqa: B023
        results.append(item(f"ledger export {kind} ({count:,} rows)", "job", samples, floor, None))
        if memory and kind == "xlsx":
            results[-1]["peak_mib"] = peak_mib(lambda: export("xlsx"))
        log(results[-1])
    results.append(item(f"ledger export job ({count:,} rows)", "web+job", job, floor, None))
    add_cpu(results[-1], job_cpu, floor_cpu)
    if memory:
        small = since(EXPORT_ROWS // 10)
        results[-1]["peak_mib_10k"] = peak_mib(lambda: export_through_the_web(office, small))
        results[-1]["peak_mib"] = peak_mib(lambda: export_through_the_web(office, cutoff))
    log(results[-1])
    return results


def time_imports(campaign, *, repeat, log):
    """Reading and checking the sample evaluation-system workbook (bench/imports.py, when
    present, adds the other imports through its `time_imports(campaign, repeat)`)."""
    from campaign.indicator_import import read_indicators

    data = (ROOT / "tests/data/indicator-system.xlsx").read_bytes()
    samples = sample(
        lambda: read_indicators(data, campaign=campaign, filename="indicator-system.xlsx"),
        repeat=repeat,
    )
    results = [item("indicator import (check)", "job", samples, None, None)]
    log(results[-1])
    try:
        from bench import imports
    except ImportError:
        return results
    for result in imports.time_imports(campaign, repeat=repeat):
        results.append(result)
        log(result)
    return results


# --- Running ---------------------------------------------------------------------------------


def city(size, *, fresh, log=print):
    """The benchmark campaign of this size: the one already in the database, or a new one."""
    from bench.generate import generate
    from campaign.models import Campaign

    name = f"基准测试（{size}）"
    existing = Campaign.objects.filter(name=name).first()
    if existing is not None and not fresh:
        return existing
    if Campaign.objects.exists():
        sys.exit("The database already holds other data: use an empty benchmark database.")
    log(f"generating the {size} city …")
    return Campaign.objects.get(pk=generate(size, log=log)["campaign"])


def print_row(result):
    ratio = result.get("ratio")
    print(
        f"{result['name']:<36}{result['who']:<10}{result['queries'] or '':>8}"
        f"{result['median_ms']:>10.1f}{result['p95_ms']:>10.1f}"
        f"{result.get('floor_ms', 0):>10.1f}{'—' if ratio is None else f'{ratio:.2f}':>8}"
        f"{'  (vs sign-in)' if result.get('floor') == 'sign-in page' else ''}"
        f"{memory_note(result)}",
        flush=True,
    )


def memory_note(result):
    note = ""
    if "cpu_ratio" in result:
        note += (
            f"  CPU {result['cpu_ms']:.0f} vs {result['floor_cpu_ms']:.0f} ms"
            f" = {result['cpu_ratio']}"
        )
    if "growth" in result:
        note += f"  × {result['growth']:.2f} of {result['against_median_ms']:.1f} ms"
    if "peak_mib" in result:
        small = result.get("peak_mib_10k")
        note += f"  peak {result['peak_mib']} MiB" + (f" (10k: {small} MiB)" if small else "")
    return note


def compare(current, previous_file):
    previous = {
        (r["name"], r["who"]): r for r in json.loads(Path(previous_file).read_text())["results"]
    }
    print(f"\n{'compared with ' + previous_file:<46}{'before':>10}{'now':>10}{'× before':>10}")
    for result in current:
        before = previous.get((result["name"], result["who"]))
        if before and before["median_ms"]:
            print(
                f"{result['name']:<36}{result['who']:<10}{before['median_ms']:>10.1f}"
                f"{result['median_ms']:>10.1f}{result['median_ms'] / before['median_ms']:>10.2f}"
            )


def check_budget(counts, budget_file):
    """Pages whose query count went up since the committed budget: [(page, budget, now)]."""
    budget = json.loads(Path(budget_file).read_text())
    return [
        (page, budget[page], count)
        for page, count in counts.items()
        if page in budget and count > budget[page]
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="smoke", help="smoke, 20k or city")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--fresh", action="store_true", help="Rebuild the city first.")
    parser.add_argument("--pages-only", action="store_true")
    parser.add_argument("--jobs-only", action="store_true")
    parser.add_argument(
        "--exports-only", action="store_true", help="Only the export job against its floor."
    )
    parser.add_argument("--only", nargs="+", metavar="PAGE", help="Time only these pages.")
    parser.add_argument("--memory", action="store_true", help="Peak memory of the export.")
    parser.add_argument("--out", help="Write the results here (JSON).")
    parser.add_argument("--compare", help="A previous run's JSON to compare with.")
    parser.add_argument(
        "--against",
        nargs=2,
        metavar=("SIZE", "DATABASE_URL"),
        help="Also time every page at this size (its database), in turns with this one.",
    )
    parser.add_argument("--check-queries", metavar="FILE", help="Fail on query-count increases.")
    parser.add_argument("--write-budget", metavar="FILE", help="Record the query counts.")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection

    counting = args.check_queries or args.write_budget  # each page's queries, no job timed
    if not (args.pages_only or counting or settings.CELERY_TASK_ALWAYS_EAGER):
        # The jobs (the export through the web among them) are timed in this process: sent to
        # a broker, no worker would run them and the export's page would wait for nothing.
        parser.error("jobs and exports are timed in this process: run them without REDIS_URL")

    campaign = city(args.size, fresh=args.fresh)
    if counting:
        counts = query_counts(campaign)
        if args.write_budget:
            Path(args.write_budget).write_text(json.dumps(counts, ensure_ascii=False, indent=1))
        if args.check_queries:
            over = check_budget(counts, args.check_queries)
            for page, budget, count in over:
                print(f"{page}: {count} queries, budget {budget}")
            sys.exit(1 if over else 0)
        return
    print(
        f"{args.size} on {connection.vendor}; median, p95 and floor in ms; ratio = median / floor"
    )
    print(
        f"{'page or job':<36}{'who':<10}{'queries':>8}{'median':>10}{'p95':>10}"
        f"{'floor':>10}{'ratio':>8}"
    )
    results, page_bars = [], []
    if args.exports_only:
        results += time_exports(
            campaign,
            repeat=max(3, args.repeat // 5),
            log=print_row,
            memory=args.memory,
            job_only=True,
        )
    elif not args.jobs_only:
        databases, campaigns = Databases(args.against and args.against[1]), {"here": campaign}
        if args.against:
            databases.use("against")
            campaigns["against"] = city(args.against[0], fresh=False)
            databases.use("here")
        results += time_pages(
            databases, campaigns, repeat=args.repeat, log=print_row, only=args.only
        )
        page_bars = bars(results)
        print_bars(page_bars)
    if not args.pages_only and not args.exports_only:
        results += time_jobs(
            campaign, repeat=max(3, args.repeat // 5), log=print_row, memory=args.memory
        )
    if args.out:
        Path(args.out).write_text(
            json.dumps(
                {
                    "size": args.size,
                    "database": connection.vendor,
                    "at": datetime.datetime.now().isoformat(timespec="seconds"),
                    "results": results,
                    "bars": [
                        {"bar": bar, "held": len(held_to), "over": over}
                        for bar, held_to, over in page_bars
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    if args.compare:
        compare(results, args.compare)


if __name__ == "__main__":
    main()
