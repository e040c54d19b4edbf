"""The 随手拍 rate limiter counts across processes and keeps the form working without Redis."""

import time

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from inspections.models import Finding
from inspections.views import CITIZEN_REPORTS_PER_HOUR
from tests.inspections.conftest import make_photo

pytestmark = pytest.mark.django_db


def report(campaign, address="10.1.2.3"):
    return Client(REMOTE_ADDR=address).post(
        reverse("inspections:citizen_report_for", args=[campaign.pk]),
        {
            "description": "小区门口垃圾桶满溢，三天没人清运",
            "address": "东华路12号小区门口",
            "photo": [make_photo("report.jpg")],
        },
    )


def test_the_limit_holds_across_processes_without_redis(campaign, settings):
    # The embedded default: a per-process cache, which must not be where attempts are counted.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for _ in range(CITIZEN_REPORTS_PER_HOUR):
        assert report(campaign).status_code == 200
        # Another web process has its own memory: nothing kept in one process may count.
        caches["default"].clear()
    assert report(campaign).status_code == 429
    assert Finding.objects.count() == CITIZEN_REPORTS_PER_HOUR


def test_the_citizen_form_works_and_still_limits_with_redis_stopped(
    campaign, private_redis, cache_on
):
    cache_on(private_redis.url)
    private_redis.stop()
    assert Client().get(reverse("inspections:citizen_report")).status_code == 200
    for _ in range(CITIZEN_REPORTS_PER_HOUR):
        assert report(campaign).status_code == 200
    assert report(campaign).status_code == 429
    assert Finding.objects.count() == CITIZEN_REPORTS_PER_HOUR


def test_the_citizen_form_answers_quickly_with_redis_hung(campaign, private_redis, cache_on):
    cache_on(private_redis.url)
    private_redis.pause()
    timings = []
    for _ in range(3):
        started = time.monotonic()
        assert report(campaign).status_code == 200
        timings.append(time.monotonic() - started)
    assert max(timings) < 3
    # Only the first attempt waits for the hung server; the next go straight to the database.
    assert sum(timings[1:]) < timings[0] + 1
    assert Finding.objects.count() == 3


def test_redis_counts_while_it_answers(campaign, private_redis, cache_on):
    cache_on(private_redis.url)
    for _ in range(CITIZEN_REPORTS_PER_HOUR):
        assert report(campaign).status_code == 200
    assert report(campaign).status_code == 429
    assert report(campaign, address="10.9.9.9").status_code == 200
