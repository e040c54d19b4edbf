"""An unfrozen week's rankings are computed by a job, once, never inside the request."""

import pytest
from django.urls import reverse

from campaign import outbox
from campaign.models import OutboxMessage
from config.celery import app as celery_app
from reports import rankings

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def unfrozen_week(city, bulletin_settings):
    make_finding(city.campaign, city.donghua1, found_on=day(1), deadline=day(2))
    make_finding(city.campaign, city.xiguan1, found_on=day(2))
    return city


@pytest.fixture
def broker_later(monkeypatch):
    """Jobs go to workers (not this process); outbox rows wait for the relay."""
    monkeypatch.setattr(outbox, "kick", lambda ids, queue=None: None)
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def open_rankings(client):
    return client.get(reverse("reports:ranking_list"), {"period": WEEK, "kind": "street"})


def test_the_page_says_computing_and_never_computes_in_the_request(
    unfrozen_week, personas, client_for, broker_later, monkeypatch
):
    def refuse(**kwargs):
        raise AssertionError("a request computed a whole week")

    monkeypatch.setattr(rankings, "compute_figures", refuse)

    page = open_rankings(client_for(personas.leader))

    assert page.status_code == 200
    assert "正在计算" in page.content.decode()
    assert 'hx-trigger="load delay:3s"' in page.content.decode()


def test_many_requests_ask_for_the_week_once_and_the_job_fills_the_page(
    unfrozen_week, personas, client_for, broker_later
):
    for person in (personas.leader, personas.office_admin, personas.district_leader):
        open_rankings(client_for(person))

    # One request per week shown: this one and the one before (for the change column).
    weeks = OutboxMessage.objects.filter(kind="reports.rankings.compute_week")
    assert sorted(m.payload["period"] for m in weeks) == ["2026-W44", WEEK]

    celery_app.conf.task_always_eager = True  # the relay below plays the worker
    outbox.relay()
    page = open_rankings(client_for(personas.leader)).content.decode()

    assert "正在计算" not in page
    assert "东华街道" in page


def test_without_a_broker_the_week_is_computed_in_process_once(
    unfrozen_week, personas, client_for, monkeypatch
):
    computed = []
    compute_figures = rankings.compute_figures

    def counting(**kwargs):
        computed.append(kwargs["start"])
        return compute_figures(**kwargs)

    monkeypatch.setattr(rankings, "compute_figures", counting)
    client = client_for(personas.office_admin)

    assert "东华街道" in open_rankings(client).content.decode()
    assert "东华街道" in open_rankings(client).content.decode()
    assert len(computed) == 2  # this week and the one before, each once


def test_exporting_a_week_still_being_computed_sends_the_person_back_to_the_page(
    unfrozen_week, personas, client_for, broker_later
):
    response = client_for(personas.leader).get(
        reverse("reports:ranking_export"), {"period": WEEK, "kind": "street"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reports:ranking_list"))
