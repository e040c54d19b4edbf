"""Redis down or hung: every action still answers at once, and once Redis is back a real
worker delivers every notice and e-mail exactly once (the outbox and its relay).

The broker here is a throwaway redis-server of the test's own (REDIS_OUTAGE_PORT, 6391 by
default), stopped and started by the test; the cache keeps its own configuration.
"""

import collections
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from campaign.jobs import relay_outbox
from campaign.models import Notification, OutboxMessage
from config.celery import app
from inspections.models import Finding, FindingCategory, Status
from reports.bulletins import make_bulletin
from reports.models import Bulletin, BulletinSettings
from tests.conftest import wait_until
from tests.inspections.conftest import make_photo
from tests.tasks.conftest import make_task

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]

PORT = int(os.environ.get("REDIS_OUTAGE_PORT", "6391"))
SLOW_SECONDS = 3


def _reset_broker(url):
    """Point the Celery app at another broker; the pooled connections are dropped (not
    closed: other parts of the app may still hold the old pool)."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def broker(transactional_db):
    """Jobs go to a broker at our own port (nothing listens there yet)."""
    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    _reset_broker(f"redis://127.0.0.1:{PORT}/0")
    servers = []

    def start():
        server = subprocess.Popen(
            ["redis-server", "--port", str(PORT), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        servers.append(server)
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", PORT)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    try:
        yield start
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)
        app.conf.task_always_eager = True
        _reset_broker(saved)


@pytest.fixture
def hung_broker(transactional_db):
    """A broker that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    saved = app.conf.broker_url
    app.conf.task_always_eager = False
    _reset_broker(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()
        app.conf.task_always_eager = True
        _reset_broker(saved)


def journey(city, personas, client_for):
    """Log, acknowledge, rectify, verify, submit a task, publish a bulletin, a citizen
    report. Returns {step: (status code, seconds)}."""
    cache.clear()  # the citizen form's rate limit must not carry over from another test
    for person in vars(personas).values():
        person.email = f"{person.username}@example.gov.cn"
        person.save()
    category = FindingCategory.objects.create(campaign=city.campaign, name="占道经营")
    task = make_task(city)
    BulletinSettings.objects.create(
        campaign=city.campaign, issuing_office="市创建办", recipients="shizhang@example.cn"
    )
    bulletin, _created = make_bulletin(campaign=city.campaign, period="2026-W09")
    clients = {}

    def client(person):
        if person not in clients:
            clients[person] = client_for(person)
        return clients[person]

    results = {}

    def post(step, person, url, data):
        started = time.monotonic()
        response = (client(person) if person else Client()).post(url, data)
        results[step] = (response.status_code, time.monotonic() - started)

    post(
        "log",
        personas.inspector,
        reverse("inspections:finding_create"),
        {
            "description": "东华路口三处流动摊点占道经营",
            "category": category.pk,
            "severity": "minor",
            "address": "东华路与建设街交叉口",
            "territory": city.donghua.pk,
            "assign_now": "on",
            "photos": [make_photo("scene.jpg")],
        },
    )
    finding = Finding.objects.get(source="routine")

    def act(step, person, name, data):
        finding.refresh_from_db()
        url = reverse(f"inspections:finding_{name}", args=[finding.pk])
        post(step, person, url, {"version": finding.version, **data})

    act("acknowledge", personas.street_liaison, "acknowledge", {})
    act(
        "rectify",
        personas.street_liaison,
        "submit",
        {"measures": "已劝离并设置疏导点", "photos": [make_photo("after.jpg")]},
    )
    act("verify", personas.inspector, "verify", {"passed": "1", "note": "复核到位"})
    post(
        "task submit",
        personas.street_liaison,
        reverse("tasks:part_progress", args=[task.parts.get().pk]),
        {
            "text": "全部整改到位",
            "progress": 100,
            "submit": "on",
            "version": task.parts.get().version,
        },
    )
    post(
        "bulletin publish",
        personas.office_admin,
        reverse("reports:bulletin_publish", args=[bulletin.pk]),
        {"version": bulletin.version},
    )
    post(
        "citizen report",
        None,
        reverse("inspections:citizen_report_for", args=[city.campaign.pk]),
        {"description": "小区门口垃圾桶满溢", "address": "东华路12号", "photo": [make_photo()]},
    )
    # Every step really happened (a 302 could also be a sign-in page).
    finding.refresh_from_db()
    task.refresh_from_db()
    bulletin.refresh_from_db()
    assert finding.status == Status.CLOSED
    assert task.status == "submitted" and bulletin.status == "published"
    assert Finding.objects.filter(source="citizen").count() == 1
    return results


def test_with_redis_down_every_action_succeeds_and_all_is_delivered_once_when_it_is_back(
    broker, city, personas, client_for
):
    results = journey(city, personas, client_for)
    assert all(status in (200, 302) for status, _ in results.values()), str(results)
    assert max(seconds for _, seconds in results.values()) < SLOW_SECONDS, results
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() >= 5
    assert not Notification.objects.exists() and mail.outbox == []

    broker()  # Redis is back
    # The bulletin's PDF is rendered on the "pdf" queue: this worker takes every queue.
    with start_worker(
        app,
        perform_ping_check=False,
        pool="solo",
        shutdown_timeout=30,
        queues=["default", "pdf", "exports"],
    ):
        relay_outbox.delay()  # what the beat does every minute

        def all_delivered():
            if OutboxMessage.objects.filter(delivered_at__isnull=True).exists():
                relay_outbox.delay()
                return False
            return True

        assert wait_until(all_delivered, timeout=90)
        notifications = list(Notification.objects.select_related("recipient"))
        sent = len(mail.outbox)
        relay_outbox.delay()  # a second beat, or a redelivered job: nothing more
        time.sleep(2)

    assert Notification.objects.count() == len(notifications) and len(mail.outbox) == sent
    # Who must act next was told, once each.
    told = collections.Counter((n.recipient.username, n.dedupe_key) for n in notifications)
    assert set(told.values()) == {1}
    usernames = {username for username, _key in told}
    assert {"donghua", "donghua_ll", "inspector", "cmd"} <= usernames
    # Every notification was e-mailed exactly once, and the bulletin once.
    mails = collections.Counter((m.to[0], m.subject) for m in mail.outbox)
    assert set(mails.values()) == {1}
    expected = {(n.recipient.email, n.subject) for n in notifications}
    bulletin = Bulletin.objects.get()
    assert {key for key in mails if key[0] != "shizhang@example.cn"} == expected
    assert [key for key in mails if key[0] == "shizhang@example.cn"] != [], (
        mails,
        list(
            OutboxMessage.objects.values_list("kind", "idempotency_key", "attempts", "last_error")
        ),
    )
    assert bulletin.emailed_at is not None and bulletin.pdf


def test_with_redis_hung_every_action_answers_within_three_seconds(
    hung_broker, city, personas, client_for
):
    results = journey(city, personas, client_for)
    assert all(status in (200, 302) for status, _ in results.values()), str(results)
    assert max(seconds for _, seconds in results.values()) < SLOW_SECONDS, results
