"""Counting attempts per key and time window, shared by every web process.

Redis counts when it is configured and answering. Without Redis, or while it is down or
hung, the database counts instead: a Redis failure costs one bounded socket timeout
(REDIS_CACHE_TIMEOUT_SECONDS), is logged, and Redis is then left alone for a while, so
a public form keeps working.
"""

import datetime
import logging
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import RateLimitCounter

logger = logging.getLogger("chuangcheng.ratelimit")

# After a Redis failure, count in the database for this long before trying Redis again.
REDIS_RETRY_AFTER_SECONDS = 30
_redis_skipped_until = 0.0


def too_many_attempts(key, *, limit, per_seconds):
    """Count one attempt for `key`; True when it is more than `limit` in the current window."""
    count = _count_in_redis(key, per_seconds)
    if count is None:
        count = _count_in_database(key, per_seconds)
    return count > limit


def _count_in_redis(key, per_seconds):
    """The attempt's number in Redis, or None when Redis is not configured or not answering."""
    global _redis_skipped_until
    cache = caches["default"]
    if not isinstance(cache, RedisCache) or time.monotonic() < _redis_skipped_until:
        return None
    key = f"ratelimit:{key}"
    try:
        # add() then incr() is atomic on Redis: the window starts with the first attempt.
        cache.add(key, 0, per_seconds)
        return cache.incr(key)
    except Exception:  # noqa: BLE001 — any failure of the cache server means "count elsewhere"
        _redis_skipped_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
        logger.warning(
            "Redis did not answer: attempts are counted in the database for %s s",
            REDIS_RETRY_AFTER_SECONDS,
            exc_info=True,
        )
        return None


def _count_in_database(key, per_seconds):
    """The attempt's number in a fixed window of `per_seconds`, counted by one row UPDATE."""
    now = timezone.now().timestamp()
    window_start = datetime.datetime.fromtimestamp(now - now % per_seconds, tz=datetime.UTC)
    counters = RateLimitCounter.objects.filter(key=key, window_start=window_start)
    with transaction.atomic():
        if not counters.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=key, window_start=window_start, count=1)
            except IntegrityError:  # another process opened the window first
                counters.update(count=F("count") + 1)
        return counters.values_list("count", flat=True).get()


def purge_expired_counters(*, older_than):
    """Delete database counters whose window started before `older_than`; returns how many."""
    deleted, _by_model = RateLimitCounter.objects.filter(window_start__lt=older_than).delete()
    return deleted
