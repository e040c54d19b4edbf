"""A worker child killed (SIGKILL) in the middle of delivering a notice: the job runs
again and the notice and its e-mail happen exactly once.

Needs PostgreSQL (the worker is a separate process on the test database) and REDIS_URL.
The test holds a table lock the delivery needs, so the child is surely mid-job (its
transaction open, nothing committed) when it is killed.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from campaign.models import Notification, OutboxMessage
from campaign.notifications import queue_notice
from config.celery import app
from tests.conftest import wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: the worker process shares the test database",
    ),
]

BASE = Path(__file__).resolve().parent.parent


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def worker_process(transactional_db, tmp_path):
    """A real `celery worker` (prefork, one child) on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "ALLOW_INSECURE_KEY": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    app.control.purge()
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork"]
            + ["--concurrency", "1", "--loglevel", "INFO", "--without-heartbeat"],
            cwd=BASE,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "ready" in log.read_text(), timeout=60), log.read_text()
        yield process, log
    finally:
        process.terminate()
        process.wait(30)


def test_a_killed_child_reruns_the_delivery_and_the_notice_arrives_once(worker_process, personas):
    process, log = worker_process
    person = personas.street_leader
    person.email = "donghua@example.gov.cn"
    person.save()
    app.conf.task_always_eager = False
    blocker = connections.create_connection("default")
    try:
        # Hold the notifications table: the child's INSERT waits, mid-transaction.
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE campaign_notification IN SHARE MODE")
        with transaction.atomic():
            queue_notice(recipients=[person], subject="逾期提醒", dedupe_key="kill-test")
        # The after-commit kick sends the delivery job to the worker.

        def child_is_waiting():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE %s",
                    ['INSERT INTO "campaign_notification"%'],
                )
                return cursor.fetchone()[0] == 1

        assert wait_until(child_is_waiting, timeout=30), log.read_text()
        [child] = children(process.pid)
        os.kill(child, signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()
        app.conf.task_always_eager = True

    def delivered():
        return not OutboxMessage.objects.filter(delivered_at__isnull=True).exists()

    assert wait_until(delivered, timeout=60), log.read_text()
    time.sleep(2)  # anything still to come (a duplicate) would land now
    text = log.read_text()
    assert "SIGKILL" in text or "signal 9" in text
    # The same job was received twice: once by the killed child, once again after it.
    received = [
        line for line in text.splitlines() if "deliver_outbox" in line and "received" in line
    ]
    assert len(received) >= 2, text
    assert Notification.objects.filter(recipient=person).count() == 1
    assert text.count("To: donghua@example.gov.cn") == 1
