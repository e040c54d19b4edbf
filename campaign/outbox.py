"""The transactional outbox: side effects written with the change, delivered after commit.

A state change calls `enqueue(kind, key=..., **payload)` inside its transaction. The row
commits or rolls back with the change. After commit a best-effort kick delivers it:
in-process when jobs run in-process (no REDIS_URL), otherwise by handing the ids to the
`deliver_outbox` job from a background thread, so a request never waits on the broker.
Whatever the kick misses (Redis down or hung, a worker killed) the periodic `relay_outbox`
job delivers later. Each row is delivered in its own transaction that also stamps
`delivered_at`, so its effects happen exactly once; a failure rolls the effects back,
counts the attempt and backs off.

A handler is a plain function taking the payload's keys, marked with `@handler`; its
dotted path is the row's `kind`, so models name handlers without importing them. Slow
handlers that must not hold a transaction (PDF rendering, sending a bulletin) are marked
`@handler(atomic=False)`: the row is claimed with a lease (a conditional UPDATE), the
handler runs, then the row is stamped; such a handler must be idempotent on its own.
Handlers that talk to another server (SMS gateways, chat robots, mail) are marked
`@handler(remote=True)`: even in-process they run in a background thread after the
response, so a hung endpoint never holds a page.
"""

import logging
import queue
import threading
import time

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import OutboxMessage

logger = logging.getLogger("chuangcheng.outbox")

# After this many failed attempts a row waits for a person (it stays visible in the admin).
MAX_ATTEMPTS = 10
# Back-off after the n-th failure: 30 s, 1 min, 2 min … capped at 6 hours.
BACKOFF_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


def handler(func=None, *, atomic=True, remote=False):
    """Mark a function as an outbox handler; its dotted path is the `kind` to enqueue.
    A `remote` handler talks to another server: it runs outside a transaction, and never
    inside a request."""

    def mark(f):
        f.is_outbox_handler = True
        f.outbox_atomic = atomic and not remote
        f.outbox_remote = remote
        return f

    return mark(func) if func is not None else mark


def _handler_for(message):
    func = import_string(message.kind)
    if not getattr(func, "is_outbox_handler", False):
        raise ValueError(f"{message.kind} is not an outbox handler")
    return func


def _is_remote(kind):
    try:
        return getattr(import_string(kind), "outbox_remote", False)
    except ImportError:
        return False  # the delivery reports it


def _failed(message, exc, now):
    logger.warning("Outbox %s (%s) failed: %r", message.pk, message.kind, exc)
    message.last_error = repr(exc)[:2000]
    message.available_at = now + backoff(message.attempts)
    message.save(update_fields=["attempts", "last_error", "available_at"])


def enqueue(kind, *, key, available_at=None, **payload):
    """Write one side effect in the current transaction. The same key twice is a no-op."""
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                kind=kind,
                idempotency_key=key[:200],
                payload=payload,
                available_at=available_at or timezone.now(),
            )
    except IntegrityError:
        return None  # this effect was already written
    transaction.on_commit(lambda: kick([message.pk], remote=_is_remote(kind)))
    return message


def backoff(attempts):
    return timezone.timedelta(
        seconds=min(BACKOFF_SECONDS * 2 ** (attempts - 1), BACKOFF_CAP_SECONDS)
    )


def deliver(pk):
    """Deliver one row if it is due and not delivered; True when this call delivered it."""
    now = timezone.now()
    message = OutboxMessage.objects.filter(
        pk=pk, delivered_at__isnull=True, available_at__lte=now
    ).first()
    if message is None:
        return False
    try:
        func = _handler_for(message)
    except Exception as exc:
        message.attempts += 1
        _failed(message, exc, now)
        return False
    if not func.outbox_atomic:
        return _deliver_outside_transaction(message, func, now)
    with transaction.atomic():
        # skip_locked: a row another worker is delivering right now is left to it.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, delivered_at__isnull=True, available_at__lte=now)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            with transaction.atomic():  # a failing handler leaves nothing behind
                func(**message.payload)
        except Exception as exc:
            _failed(message, exc, now)
            return False
        message.delivered_at = timezone.now()
        message.save(update_fields=["attempts", "delivered_at"])
    return True


def _deliver_outside_transaction(message, func, now):
    lease = timezone.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimed = OutboxMessage.objects.filter(
        pk=message.pk, delivered_at__isnull=True, available_at=message.available_at
    ).update(available_at=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return False  # another worker holds it
    message.refresh_from_db()
    try:
        func(**message.payload)
    except Exception as exc:
        _failed(message, exc, timezone.now())
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(delivered_at=timezone.now())
    return True


def due(limit=500):
    """Ids of undelivered rows whose time has come, oldest first."""
    return list(
        OutboxMessage.objects.filter(
            delivered_at__isnull=True, available_at__lte=timezone.now(), attempts__lt=MAX_ATTEMPTS
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def relay(limit=500, seconds=None):
    """Deliver every due row (up to `limit` rows, or for about `seconds`); returns how many
    this call delivered."""
    stop = time.monotonic() + seconds if seconds else None
    delivered = 0
    for pk in due(limit):
        if stop is not None and time.monotonic() > stop:
            break
        delivered += deliver(pk)
    return delivered


# --- the kick after commit --------------------------------------------------------------

_pending = queue.SimpleQueue()
_local = queue.SimpleQueue()
_threads = {}
_threads_lock = threading.Lock()


def _in_process():
    from config.celery import app

    return app.conf.task_always_eager


def kick(ids, *, remote=False):
    """Best effort, right after commit: never raises, never waits on the broker (nor, for
    remote handlers, on their server)."""
    if _in_process():
        # Inside a transaction still open (a test's), another thread cannot see the rows yet.
        if remote and not connection.in_atomic_block:
            _local.put(list(ids))
            _ensure_thread("outbox-local", _deliver_forever)
            return
        try:
            for pk in ids:
                deliver(pk)
        except Exception:
            logger.exception("In-process outbox delivery failed; the relay retries it")
        return
    _pending.put(list(ids))
    _ensure_thread("outbox-kick", _publish_forever)


def _ensure_thread(name, target):
    with _threads_lock:
        thread = _threads.get(name)
        if thread is None or not thread.is_alive():
            _threads[name] = threading.Thread(target=target, name=name, daemon=True)
            _threads[name].start()


def _deliver_forever():
    """In-process mode: deliver remote rows one after another, away from the requests."""
    while True:
        ids = _local.get()
        try:
            for pk in ids:
                deliver(pk)
        except Exception:
            logger.exception("Background outbox delivery failed; the relay retries it")
        finally:
            connection.close()


def _publish_forever():
    from config.celery import app

    while True:
        ids = _pending.get()
        while not _pending.empty() and len(ids) < 100:
            ids.extend(_pending.get_nowait())
        if _in_process():
            continue  # switched to in-process meanwhile (tests): the kick delivered them
        try:
            # By name: the outbox does not import the jobs that import it.
            app.send_task("campaign.jobs.deliver_outbox", args=[ids], retry=False)
        except Exception as exc:  # Redis down or hung: the periodic relay delivers them
            logger.warning("Outbox kick not sent (%r); the relay will deliver %s", exc, ids)
