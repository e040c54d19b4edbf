"""Recurring rounds with fixed dates: due on the inspector's to-dos, missed on the dashboard
and in the next bulletin."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign.models import Role
from fieldwork import rounds
from fieldwork.models import Frequency, Rating, RoundSchedule
from reports.bulletins import make_bulletin
from tests.conftest import make_person

TODAY = datetime.date(2026, 11, 25)  # a Wednesday of 2026-W48


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def weekly(city, personas, register):
    schedule = RoundSchedule.objects.create(
        campaign=city.campaign,
        point_type=register.market,
        frequency=Frequency.WEEKLY,
        sample_size=2,
        starts_on=datetime.date(2026, 11, 2),  # W45
    )
    schedule.inspectors.set([personas.inspector])
    return schedule


def run_round(schedule, actor, *, started, completed):
    """The schedule's round of the week of `started`, observed and completed on `completed`."""
    the_round = rounds.start_scheduled_round(schedule, actor=actor, on=started, seed=1)
    for sample in the_round.sampled_points.all():
        results = {s: (Rating.MET, "", []) for s in rounds.applicable_standards(sample.point)}
        rounds.record_observations(sample, actor=sample.inspector, results=results)
    rounds.complete(the_round, actor=actor, on=completed)
    return the_round


def test_periods_done_late_or_not_at_all_are_missed(weekly, personas, today):
    run_round(
        weekly,
        personas.inspector,
        started=datetime.date(2026, 11, 3),
        completed=datetime.date(2026, 11, 5),
    )
    # W46 (11-09 … 11-15): nothing. W47 (11-16 … 11-22): done on the Monday after.
    run_round(
        weekly,
        personas.inspector,
        started=datetime.date(2026, 11, 20),
        completed=datetime.date(2026, 11, 23),
    )
    missed = rounds.missed_periods([weekly], on=today)
    assert [(p.start, p.end) for p in missed] == [
        (datetime.date(2026, 11, 9), datetime.date(2026, 11, 15)),
        (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22)),
    ]
    # The current week (W48) is due, not missed.
    (due,) = rounds.due_schedules([weekly], on=today)
    assert due.start == datetime.date(2026, 11, 23) and due.round is None


def test_a_missed_weekly_round_shows_on_the_dashboard_and_in_the_next_bulletin(
    weekly, city, personas, client_for, today
):
    run_round(
        weekly,
        personas.inspector,
        started=datetime.date(2026, 11, 3),
        completed=datetime.date(2026, 11, 5),
    )
    page = client_for(personas.office_admin).get(reverse("reports:dashboard")).content.decode()
    section = page[page.index('id="missed-rounds"') :]
    assert "2026-11-09 — 2026-11-15" in section and "2026-11-16 — 2026-11-22" in section
    assert "2026-11-02 — 2026-11-08" not in section  # done in time
    # Units see no schedule and no section.
    unit_page = client_for(personas.district_leader).get(reverse("reports:dashboard"))
    assert 'id="missed-rounds"' not in unit_page.content.decode()

    w46, _created = make_bulletin(campaign=city.campaign, period="2026-W46")
    assert w46.data["missed_rounds"] == [
        {"schedule": str(weekly), "start": "2026-11-09", "end": "2026-11-15"}
    ]
    w45, _created = make_bulletin(campaign=city.campaign, period="2026-W45")
    assert w45.data["missed_rounds"] == []
    body = client_for(personas.office_admin).get(w46.get_absolute_url()).content.decode()
    assert 'id="missed-rounds"' in body and "2026-11-09" in body


def due_tile(client):
    page = client.get("/").content.decode()
    match = re.search(
        r'todo-count">(\d+)</div><div class="small todo-label">本期应开展的常态化巡查<', page
    )
    return int(match.group(1)) if match else None


def test_a_due_round_is_on_the_inspectors_to_dos_until_it_is_done(
    weekly, city, personas, client_for, today
):
    other = make_person(city.campaign, "other_inspector", Role.INSPECTOR)
    assert due_tile(client_for(personas.inspector)) == 1
    assert due_tile(client_for(other)) == 0  # not one of this schedule's inspectors
    assert due_tile(client_for(personas.district_leader)) is None
    assert due_tile(client_for(personas.office_admin)) is None  # the office runs no rounds
    run_round(weekly, personas.inspector, started=today, completed=today)
    assert due_tile(client_for(personas.inspector)) == 0


def test_only_the_schedules_inspectors_and_the_office_start_its_round(
    weekly, city, personas, client_for, today
):
    url = reverse("fieldwork:schedule_start", args=[weekly.pk])
    leader_page = client_for(personas.leader).get(reverse("fieldwork:round_list")).content.decode()
    assert str(weekly.point_type) in leader_page and url not in leader_page
    other = make_person(city.campaign, "other_inspector", Role.INSPECTOR)
    client_for(other).post(url)
    client_for(personas.leader).post(url)
    assert not weekly.rounds.exists()
    assert (
        url in client_for(personas.inspector).get(reverse("fieldwork:round_list")).content.decode()
    )
    response = client_for(personas.inspector).post(url)
    (started,) = weekly.rounds.all()
    assert response.url == started.get_absolute_url()
    assert started.period_start == datetime.date(2026, 11, 23) and started.status == "in_progress"
    assert started.sampled_points.count() == 2
    # A second click gives the same round back.
    assert client_for(personas.inspector).post(url).url == started.get_absolute_url()
    assert weekly.rounds.count() == 1


def test_a_scheduled_rounds_creation_is_recorded_like_one_made_by_hand(weekly, personas, today):
    from campaign.models import AuditEntry

    the_round = rounds.start_scheduled_round(weekly, actor=None, on=TODAY, seed=1)
    created = AuditEntry.objects.filter(
        object_type="fieldwork.round", object_id=str(the_round.pk), action="create"
    )
    assert [(entry.actor, entry.changes["quotas"]) for entry in created] == [
        (None, the_round.quotas)
    ]
