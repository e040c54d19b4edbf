"""The bulletin job through a real Celery worker over Redis (CI sets REDIS_URL)."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from reports.jobs import make_bulletin_job
from reports.models import Bulletin, BulletinSettings

from .conftest import WEEK, day, make_finding

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.fixture
def real_worker(transactional_db):
    """Two worker threads consuming from the real broker, so two jobs really run at once."""
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app, perform_ping_check=False, pool="threads", concurrency=2, shutdown_timeout=30
        ):
            yield
    finally:
        app.conf.task_always_eager = True


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_bulletin_job_triggered_twice_at_once_makes_one_bulletin(real_worker, city):
    BulletinSettings.objects.create(campaign=city.campaign)
    make_finding(city.campaign, city.donghua1, found_on=day(1), deadline=day(2))
    assert app.conf.broker_url.startswith("redis://")

    first = make_bulletin_job.delay(city.campaign.pk, WEEK)
    second = make_bulletin_job.delay(city.campaign.pk, WEEK)

    assert wait_until(lambda: Bulletin.objects.filter(pdf__gt="").exists())
    # Let the second job finish too: it must find the first one's bulletin, not make another.
    time.sleep(3)
    assert Bulletin.objects.count() == 1
    bulletin = Bulletin.objects.get()
    assert (bulletin.period, bulletin.number) == (WEEK, 1)
    assert first.id != second.id
