"""A large export through the web and a real Celery worker over Redis (CI sets REDIS_URL):
the export waits for a worker of the "exports" queue — a worker of "default" alone leaves
it — and the person downloads the file the worker made."""

import io
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from openpyxl import load_workbook

from campaign.models import ExportJob, Notification
from config.celery import app
from tests.conftest import wait_until

from .test_export_jobs import LEDGER, add_findings

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


def worker(queues):
    pool = (
        {"pool": "solo"} if connection.vendor == "sqlite" else {"pool": "threads", "concurrency": 2}
    )
    return start_worker(app, perform_ping_check=False, shutdown_timeout=30, queues=queues, **pool)


@pytest.fixture
def broker(transactional_db, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 10
    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an interrupted run must not be consumed here
    try:
        yield
    finally:
        app.conf.task_always_eager = True


def test_a_large_export_completes_through_the_web_on_the_exports_queue(
    broker, city, personas, client_for
):
    add_findings(city, city.donghua, 30)
    client = client_for(personas.street_leader)
    assert app.conf.broker_url.startswith("redis://")

    with worker(["default"]):
        asked = client.get(LEDGER)
        assert asked.status_code == 302
        job = ExportJob.objects.get()
        time.sleep(3)
        # The default queue's worker (reminders, notices) never takes an export.
        job.refresh_from_db()
        assert job.state == ExportJob.State.QUEUED

    with worker(["default", "exports"]):
        assert wait_until(
            lambda: ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.DONE).exists()
        )
    assert "/download/" in client.get(asked["Location"]).content.decode()
    response = client.get(f"/org/exports/{job.pk}/download/")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.active.max_row == 2 + 30
    assert Notification.objects.get(recipient=personas.street_leader).url == asked["Location"]
