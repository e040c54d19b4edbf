"""The bench runner's timing: a page and its floor are timed in turns."""

import sys

import pytest
from django.core.cache import cache
from django.db import connection, connections

from bench import run
from bench.run import Databases, bars, sample_in_turns
from campaign import kept
from campaign.models import Campaign


def test_a_page_and_its_floor_are_timed_in_turns():
    calls = []
    page, floor = sample_in_turns(
        [lambda: calls.append("page"), lambda: calls.append("floor")], repeat=5
    )

    assert calls == ["page", "floor"] * 6  # a warm-up each, then five turns
    assert len(page) == len(floor) == 5


def test_with_a_second_database_each_call_runs_on_its_own_side(monkeypatch):
    used = []
    databases = Databases()
    assert databases.on("here", len) is len  # one database: the call as it is
    databases.sides["against"] = databases.sides["here"]
    monkeypatch.setattr(databases, "use", used.append)
    calls = [databases.on(side, lambda: None) for side in ("here", "here", "against", "against")]
    sample_in_turns(calls, repeat=3)

    assert used == ["here", "here", "against", "against"] * 4  # a warm-up each, three turns


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second PostgreSQL connection")
@pytest.mark.django_db
def test_a_second_database_switches_the_connection_the_cache_and_the_kept_values(city):
    """The second side is another connection (it does not see this test's uncommitted
    campaign), with its own cache keys and kept values; switching back restores all three."""
    settings = connection.settings_dict
    url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    here = connections["default"]
    databases = Databases(url)
    try:
        databases.use("against")
        assert not Campaign.objects.filter(pk=city.campaign.pk).exists()
        assert cache.key_prefix.endswith("-against")
        assert kept.KEPT == {}
    finally:
        databases.use("here")
        databases.sides["against"][0].close()
    assert connections["default"] is here
    assert Campaign.objects.filter(pk=city.campaign.pk).exists()
    assert not cache.key_prefix.endswith("-against")


def page(name, who, median, floor=None, growth=None, floor_kind="own"):
    result = {"name": name, "who": who, "median_ms": median}
    if floor:
        result.update(floor_ms=floor, floor=floor_kind, ratio=run._times([median], [floor]))
    if growth:
        result["growth"] = growth
    return result


def test_the_bars_name_each_page_over_them_for_the_office_and_the_street():
    results = [
        page("ledger", "office", 14, floor=10, growth=1.1),  # within every bar
        page("ledger search", "office", 19, floor=11.8, growth=1.36),  # over two
        page("ledger", "district", 40, floor=10, growth=2.0),  # not held to the first three
        page("finding", "street", 30, floor=10),  # a detail page: not a list
        page("map", "street", 12, floor=1, floor_kind="sign-in page"),  # no floor of its own
        page("rankings", "street", 16, floor=10),
        page("battle map", "district", 301),  # every page: over 300 ms
    ]
    (ratio, growth, reports, slowest) = bars(results)

    assert ratio[2] == ["ledger search · office 1.61"]
    assert [r["name"] for r in ratio[1]] == ["ledger", "ledger search"]
    assert growth[2] == ["ledger search · office 1.36"]
    assert reports[2] == ["rankings · street 1.6"]
    assert slowest[2] == ["battle map · district 301"]
    assert len(slowest[1]) == len(results)


def test_a_page_just_over_a_bar_is_over_it_however_the_table_rounds():
    """27.5 ms over a floor of 18.3 is 1.503: the table shows 1.50, the bar counts it over."""
    result = run.item("ledger search", "office", [0.0275] * 3, [0.0183] * 3, 7)

    (ratio, _growth, _reports, _slowest) = bars([result])

    assert ratio[2] == ["ledger search · office 1.503"]


def test_a_page_just_over_the_growth_bar_is_over_it_however_the_table_rounds():
    """26.05 ms at city size against 20.0 ms at 20k is 1.3025: shown as 1.30, counted over."""
    result = run.item("map data", "office", [0.02605] * 3, [0.03] * 3, 8)
    run.add_against(result, [0.02605] * 3, [0.02] * 3, [0.025] * 3)

    (_ratio, growth, _reports, _slowest) = bars([result])

    assert growth[2] == ["map data · office 1.302"]
    assert result["against_median_ms"] == 20.0 and result["against_floor_ms"] == 25.0


def test_without_a_second_size_the_growth_bar_holds_no_page():
    (_ratio, growth, _reports, _slowest) = bars([page("ledger", "office", 16, floor=10)])

    assert growth[1] == []


@pytest.mark.parametrize("only", ["--exports-only", "--jobs-only"])
def test_jobs_are_not_timed_when_they_would_go_to_a_broker(monkeypatch, settings, capsys, only):
    """The runner times jobs in its own process: with REDIS_URL set they would be sent to a
    broker that no worker reads, and the export's page would wait for nothing."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(run, "setup_django", lambda: None)
    monkeypatch.setattr(sys, "argv", ["run.py", "--size", "smoke", only])
    with pytest.raises(SystemExit) as exited:
        run.main()
    assert exited.value.code == 2 and "without REDIS_URL" in capsys.readouterr().err


@pytest.mark.parametrize("budget", ["--check-queries", "--write-budget"])
def test_a_query_budget_run_is_not_refused_with_a_broker(monkeypatch, settings, tmp_path, budget):
    """Counting each page's queries times no job: it runs with REDIS_URL set as well."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    budget_file = tmp_path / "budget.json"
    budget_file.write_text("{}")
    monkeypatch.setattr(run, "setup_django", lambda: None)
    monkeypatch.setattr(run, "city", lambda size, fresh: None)
    monkeypatch.setattr(run, "query_counts", lambda campaign: {})
    monkeypatch.setattr(sys, "argv", ["run.py", "--size", "smoke", budget, str(budget_file)])
    try:
        run.main()  # the written budget returns, the checked one exits with its outcome
    except SystemExit as exited:
        assert exited.code == 0
