"""The outbox: effects written with the change, delivered once after commit, retried."""

import pytest
from django.db import transaction

from campaign import outbox
from campaign.models import Notification, OutboxMessage

CALLS = []


@outbox.handler
def record_call(*, value):
    CALLS.append(value)
    Notification.objects.filter(pk=-1).exists()  # a handler may use the database


@outbox.handler
def fail_until_told(*, value):
    if not CALLS:
        raise OSError("mail server down")
    CALLS.append(value)


KIND = f"{__name__}.record_call"


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def test_an_effect_written_in_a_rolled_back_transaction_is_never_delivered(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(KIND, key="k1", value=1)
        raise RuntimeError
    assert not OutboxMessage.objects.exists()
    assert outbox.relay() == 0 and CALLS == []


def test_the_same_key_written_twice_is_one_row_delivered_once(db):
    outbox.enqueue(KIND, key="k1", value=1)
    outbox.enqueue(KIND, key="k1", value=1)
    assert outbox.relay() == 1
    assert outbox.relay() == 0
    message = OutboxMessage.objects.get()
    assert CALLS == [1] and message.delivered_at is not None and message.attempts == 1


def test_a_row_is_delivered_after_commit_in_process_without_a_broker(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(KIND, key="k1", value=7)
        assert CALLS == []
    assert CALLS == [7]
    assert OutboxMessage.objects.get().delivered_at is not None


def test_a_failing_handler_is_retried_with_back_off_and_then_delivered_once(db):
    outbox.enqueue(f"{__name__}.fail_until_told", key="k1", value=2)
    assert outbox.relay() == 0
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and "mail server down" in message.last_error
    assert message.available_at > message.created_at  # backed off: not due yet
    assert outbox.relay() == 0  # not retried before its time
    OutboxMessage.objects.update(available_at=message.created_at)
    CALLS.append("server back")
    assert outbox.relay() == 1
    assert CALLS == ["server back", 2]
    assert OutboxMessage.objects.get().attempts == 2


def test_only_functions_marked_as_handlers_can_be_delivered(db):
    outbox.enqueue("os.remove", key="k1", path="/tmp/nothing")
    assert outbox.relay() == 0
    assert "not an outbox handler" in OutboxMessage.objects.get().last_error


def test_every_kind_the_code_writes_to_the_outbox_names_a_handler():
    import re
    from pathlib import Path

    from django.utils.module_loading import import_string

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r'"((?:campaign|tasks|inspections|reports)\.\w+\.\w+)"')
    kinds = {
        kind
        for app in ("campaign", "tasks", "inspections", "reports")
        for path in (root / app).glob("*.py")
        for kind in pattern.findall(path.read_text())
        if kind.split(".")[1] not in ("jobs", "models", "apps")
    }
    assert "inspections.services.notify_event" in kinds and len(kinds) >= 8
    for kind in kinds:
        assert getattr(import_string(kind), "is_outbox_handler", False), kind
