"""The smoke-size bench in CI: every main page for the three personas, counted in queries.

A page whose query count rises above bench/budgets/smoke.json fails here; when a change
adds a query on purpose, record the new count with
`bench/run.py --size smoke --write-budget bench/budgets/smoke.json` and say why.
"""

import json
from pathlib import Path

import pytest

from bench.generate import generate
from bench.run import check_budget, clients, count_queries, object_ids, query_counts
from campaign.models import Campaign

BUDGET = Path(__file__).resolve().parents[2] / "bench" / "budgets" / "smoke.json"


@pytest.fixture
def smoke_city(db):
    return Campaign.objects.get(pk=generate("smoke", log=lambda *_a: None)["campaign"])


def test_every_page_stays_within_its_query_budget(smoke_city):
    counts = query_counts(smoke_city)

    assert set(counts) == set(json.loads(BUDGET.read_text()))
    assert check_budget(counts, BUDGET) == []


def test_a_pages_count_does_not_depend_on_an_earlier_visit(smoke_city):
    """The first person to open an unsaved week set its job going inside the request: the
    budget counted 25 queries one week and 33 the next. A page is counted after a first visit."""
    url = f"/reports/rankings/?period={object_ids(smoke_city)['this_week']}"
    office = clients()["office"]

    assert count_queries(office, url) == count_queries(office, url)


def test_a_page_that_gains_a_query_fails_the_budget(smoke_city, monkeypatch):
    from inspections import views
    from inspections.models import Finding

    ledger_filter = views._ledger_filter

    def ledger_filter_with_one_more_query(request, campaign):
        Finding.objects.filter(campaign=campaign).exists()
        return ledger_filter(request, campaign)

    monkeypatch.setattr(views, "_ledger_filter", ledger_filter_with_one_more_query)

    over = {page for page, _budget, _count in check_budget(query_counts(smoke_city), BUDGET)}

    assert {"ledger · office", "ledger · district", "ledger · street"} <= over


def test_the_same_seed_builds_the_same_city(db):
    from django.db import transaction

    from inspections.models import Finding

    class Undo(Exception):
        pass

    def fingerprint(seed):
        try:
            with transaction.atomic():
                made = generate("smoke", seed=seed, log=lambda *_a: None)
                rows = list(
                    Finding.objects.filter(campaign_id=made["campaign"])
                    .order_by("pk")
                    .values_list("found_on", "status", "severity", "unit__name", "territory__name")
                )
                raise Undo
        except Undo:
            return rows

    first = fingerprint(7)

    assert len(first) == 400
    assert fingerprint(7) == first
    assert fingerprint(8) != first


def test_each_generated_task_is_in_the_state_its_parts_roll_up_to(smoke_city):
    """The generator once stored accepted tasks whose responsible units had not started: a
    state the application never reaches, which left two thirds of the city's parts owed
    for years and counted overdue on every page."""
    from bench.generate import TODAY, _aware
    from tasks.models import Task, TaskPart

    tasks = Task.objects.filter(campaign=smoke_city).prefetch_related("parts")
    stored = ["status", "progress", "submitted_at", "accepted_at"]

    for task in tasks:
        rolled, required = Task.rolled_up(list(task.parts.all()))
        assert {field: getattr(task, field) for field in stored} == rolled, task.pk
        if task.status == Task.Status.ACCEPTED:
            assert {part.status for part in required} == {TaskPart.Status.ACCEPTED}
    assert len({task.status for task in tasks}) > 1
    # Nothing is handed in after the data's today (tasks due later were handed in early).
    handed_in = TaskPart.objects.filter(task__campaign=smoke_city, submitted_at__isnull=False)
    assert handed_in.exists()
    assert not handed_in.filter(submitted_at__gt=_aware(TODAY, 23, 59)).exists()


def test_the_rankings_floor_ranks_the_units_the_page_ranks(smoke_city, settings):
    """The floor of the rankings is the page's ranking in one SQL aggregate. For a street
    liaison the page ranks streets (the highest kind of unit the person sees), and the floor
    ranked districts, none of which the liaison may see: it measured an empty answer."""
    settings.ROOT_URLCONF = "bench.urls"
    for persona, client in clients().items():
        items = client.get("/reports/rankings/").context["items"]
        floor = client.get("/_floor/rankings/").json()["rows"]

        assert items, persona
        assert {(row[0], row[3]) for row in floor} == {(i.row.unit_id, i.rank) for i in items}


def test_the_rankings_floor_answers_a_person_who_sees_no_unit(smoke_city, settings):
    """A command office with no units yet: its staff see no unit, and the rankings page shows
    districts (`reports.rankings.first_kind`). The floor took the first kind the person sees
    and, finding none, failed (StopIteration, a 500)."""
    from django.test import Client

    from accounts.testing import force_login
    from campaign.models import CommandOffice, Role
    from tests.conftest import make_person

    settings.ROOT_URLCONF = "bench.urls"
    office = CommandOffice.objects.create(campaign=smoke_city, name="新设指挥部")
    person = make_person(
        smoke_city, "new_cmd", Role.COMMAND_STAFF, command_office=office, name="钱新"
    )
    client = force_login(Client(), person)

    page = client.get("/reports/rankings/")
    floor = client.get("/_floor/rankings/")

    assert page.status_code == floor.status_code == 200
    assert floor.json()["rows"] == [] and not page.context["items"]
