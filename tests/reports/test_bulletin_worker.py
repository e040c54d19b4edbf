"""The bulletin job through a real Celery worker over Redis (CI sets REDIS_URL)."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from config.celery import app
from reports.jobs import make_bulletin_job
from reports.models import Bulletin, BulletinSettings
from tests.conftest import wait_until

from .conftest import WEEK, day, make_finding

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.fixture
def real_worker(transactional_db):
    """A worker consuming from the real broker. On PostgreSQL two threads run the two jobs
    really at once; SQLite's shared in-memory test database cannot take two writers, so
    there the jobs run one after the other (the second must still find the first's)."""
    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an interrupted run must not be consumed here
    pool = (
        {"pool": "solo"} if connection.vendor == "sqlite" else {"pool": "threads", "concurrency": 2}
    )
    try:
        # The bulletin job is routed to the "pdf" queue (config/celery.py): consume both.
        with start_worker(
            app, perform_ping_check=False, shutdown_timeout=30, queues=["default", "pdf"], **pool
        ):
            yield
    finally:
        app.conf.task_always_eager = True


def test_the_bulletin_job_triggered_twice_at_once_makes_one_bulletin(real_worker, city):
    BulletinSettings.objects.create(campaign=city.campaign)
    make_finding(city.campaign, city.donghua1, found_on=day(1), deadline=day(2))
    assert app.conf.broker_url.startswith("redis://")

    first = make_bulletin_job.delay(city.campaign.pk, WEEK)
    second = make_bulletin_job.delay(city.campaign.pk, WEEK)

    assert wait_until(lambda: Bulletin.objects.filter(pdf__gt="").exists())
    # Let the second job finish too: it must find the first one's bulletin, not make another.
    time.sleep(3)
    assert wait_until(lambda: Bulletin.objects.count() >= 1)
    assert Bulletin.objects.count() == 1
    bulletin = Bulletin.objects.get()
    assert (bulletin.period, bulletin.number) == (WEEK, 1)
    assert first.id != second.id
