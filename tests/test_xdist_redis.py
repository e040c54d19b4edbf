"""Under pytest-xdist each process has its own Redis database (tests/conftest.py): sharing
one, a process's cache.clear() emptied the other's broker queues and its worker took the
other's jobs."""

from .conftest import own_redis_url


def test_each_process_counts_down_from_the_urls_database():
    assert own_redis_url("redis://127.0.0.1:6379/15", "gw0") == "redis://127.0.0.1:6379/14"
    assert own_redis_url("redis://127.0.0.1:6379/15", "gw1") == "redis://127.0.0.1:6379/13"


def test_a_url_without_a_database_counts_down_from_the_first_and_wraps():
    assert own_redis_url("redis://:secret@redis:6379", "gw0") == "redis://:secret@redis:6379/15"
