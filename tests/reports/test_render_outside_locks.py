"""Rendering a bulletin's PDF holds no lock: a finding written meanwhile is not held up
(on SQLite a transaction around the render would stop every write in the database)."""

import threading
import time

import pytest

from campaign import outbox
from campaign.models import OutboxMessage
from inspections.models import Finding, Status
from reports import exports
from reports.bulletins import make_bulletin

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db(transaction=True)

RENDER_SECONDS = 2.0


def test_a_finding_is_written_while_the_bulletin_renders(city, monkeypatch):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    monkeypatch.setattr(outbox, "kick", lambda ids, **options: None)  # the render waits for us
    bulletin, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    bulletin.publish(actor=None)
    real_render = exports.render_bulletin_pdf_bytes
    rendering = threading.Event()
    finished = []

    def slow_render(b):
        rendering.set()
        time.sleep(RENDER_SECONDS)  # a big bulletin
        content = real_render(b)
        finished.append(time.monotonic())
        return content

    monkeypatch.setattr(exports, "render_bulletin_pdf_bytes", slow_render)
    # The published version's render (the draft's is stale and would store nothing).
    render_pk = (
        OutboxMessage.objects.filter(kind="reports.bulletins.render_bulletin").latest("pk").pk
    )

    def deliver():
        from django.db import connection

        try:
            outbox.deliver(render_pk)
        finally:
            connection.close()

    thread = threading.Thread(target=deliver)
    thread.start()
    assert rendering.wait(10)
    started = time.monotonic()
    make_finding(city.campaign, city.donghua1, found_on=day(2), status=Status.ASSIGNED)
    written = time.monotonic()
    thread.join(30)

    assert written - started < RENDER_SECONDS / 2
    assert finished and finished[0] > written  # the write happened during the render
    assert Finding.objects.count() == 2
    bulletin.refresh_from_db()
    assert bulletin.pdf
    assert OutboxMessage.objects.get(pk=render_pk).delivered_at is not None
