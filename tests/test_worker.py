"""A job sent through a real Celery worker over Redis (CI sets REDIS_URL)."""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from campaign.jobs import purge_login_attempts
from campaign.models import LoginAttempt
from config.celery import app
from tests.conftest import wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.fixture
def real_worker(transactional_db):
    """A worker thread consuming from the real broker; jobs are not run eagerly."""
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def test_purge_job_runs_through_a_real_worker_over_redis(real_worker):
    old = timezone.now() - timezone.timedelta(days=400)
    LoginAttempt.objects.create(username="a", ip_address="10.0.0.1", succeeded=False, at=old)
    LoginAttempt.objects.create(username="b", ip_address="10.0.0.1", succeeded=True)
    assert app.conf.broker_url.startswith("redis://")

    purge_login_attempts.delay()

    assert wait_until(lambda: LoginAttempt.objects.count() == 1)
    assert LoginAttempt.objects.get().username == "b"
