"""Named personas and small builders shared by every test module.

The city used here is small on purpose:

    东城区 (district)            西城区 (district)        市城管局 (department)
    ├── 东华街道 (street)         └── 西关街道 (street)
    │   ├── 东华第1社区               └── 西关第1社区
    │   └── 东华第2社区
    └── 新市街道 (street)
        └── 新市第1社区
"""

import datetime
import os
import time
from types import SimpleNamespace

import pytest
from django.db import OperationalError
from django.test import Client

from accounts.testing import force_login
from campaign.models import (
    Campaign,
    CommandOffice,
    EvaluationSystem,
    IndicatorNode,
    Membership,
    Person,
    Role,
    Standard,
    Unit,
)
from config.celery import app as celery_app

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Jobs run in-process in tests unless a test starts a real worker (see tests/test_worker.py).
celery_app.conf.task_always_eager = True


def own_redis_url(url, worker):
    """`url` (REDIS_URL) for the pytest-xdist process `worker` ("gw0", "gw1", …): its own
    database, counted down from the URL's (/15 gives /14 to gw0, /13 to gw1)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    database = (int(parts.path.strip("/") or 0) - 1 - int(worker.removeprefix("gw"))) % 16
    return parts._replace(path=f"/{database}").geturl()


def _own_redis_database():
    """Under pytest-xdist (`./dev test -n 2`) each process has its own test database, and
    here its own Redis database too: every test empties the cache (FLUSHDB, the broker's
    queues included), and a worker started by one process took the other's jobs, which it
    then looked for in the wrong test database."""
    from django.conf import settings

    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), settings.REDIS_URL
    if not (worker and url):
        return
    url = own_redis_url(url, worker)
    # Read lazily (the cache on first use, the broker on first connection); the processes
    # a test starts itself (tests/test_scale_out.py) take it from the environment.
    os.environ["REDIS_URL"] = settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    settings.CACHES["default"]["LOCATION"] = celery_app.conf.broker_url = url


_own_redis_database()


# The pages everyone works in: the link and accessibility walks both visit these.
MAIN_PAGES = [
    "/",
    "/tasks/",
    "/tasks/mine/",
    "/tasks/battle-map/",
    "/ledger/",
    "/ledger/inbox/",
    "/ledger/supervision/",
    "/field/points/",
    "/field/map/",
    "/field/hot-spots/",
    "/ledger/report/",
    "/ledger/open311-keys/",
    "/reports/",
    "/reports/rankings/",
    "/reports/bulletins/",
    "/org/units/",
    "/org/command-offices/",
    "/org/systems/",
    "/org/notifications/",
    "/field/rounds/",
    "/org/notifications/preferences/",
    "/org/channels/",
    "/org/deliveries/",
]


@pytest.fixture(autouse=True)
def _no_files_pending_from_an_earlier_test():
    """A test's transaction is rolled back without a request ending, so the files it wrote
    stay listed as pending; the next test (with another MEDIA_ROOT) must not inherit them."""
    from campaign.uploads import _uncommitted_files

    _uncommitted_files().clear()
    yield
    _uncommitted_files().clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (figures computed by a job are kept there)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    # Tests don't run collectstatic: plain storage instead of the hashed manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def campaign(db):
    return Campaign.objects.create(
        name="2025—2027年创建全国文明城市",
        level=Campaign.Level.NATIONAL,
        city="某市",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )


def make_unit(campaign, name, kind, parent=None, **extra):
    unit = Unit(campaign=campaign, name=name, kind=kind, parent=parent, **extra)
    unit.save()
    return unit


@pytest.fixture
def city(campaign):
    """The small city in this module's docstring, with one command office."""
    k = Unit.Kind
    east = make_unit(campaign, "东城区", k.DISTRICT)
    donghua = make_unit(campaign, "东华街道", k.STREET, east)
    xinshi = make_unit(campaign, "新市街道", k.STREET, east)
    west = make_unit(campaign, "西城区", k.DISTRICT)
    xiguan = make_unit(campaign, "西关街道", k.STREET, west)
    units = SimpleNamespace(
        campaign=campaign,
        east=east,
        donghua=donghua,
        donghua1=make_unit(campaign, "东华第1社区", k.COMMUNITY, donghua),
        donghua2=make_unit(campaign, "东华第2社区", k.COMMUNITY, donghua),
        xinshi=xinshi,
        xinshi1=make_unit(campaign, "新市第1社区", k.COMMUNITY, xinshi),
        west=west,
        xiguan=xiguan,
        xiguan1=make_unit(campaign, "西关第1社区", k.COMMUNITY, xiguan),
        chengguan=make_unit(campaign, "市城管局", k.DEPARTMENT, aliases=["城管局"]),
    )
    units.command_office = CommandOffice.objects.create(campaign=campaign, name="城市建设指挥部")
    units.command_office.units.set([units.chengguan, units.east])
    return units


@pytest.fixture
def standards(city):
    """Three standards, each its own unit's or command office's (the standard pickers' tests)."""
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    node = IndicatorNode.objects.create(system=system, level=0, name="城市管理")

    def make(code, text, **responsibility):
        return Standard.objects.create(
            system=system, node=node, code=code, text=text, points=1, **responsibility
        )

    return {
        "donghua": make("5.1", "无占道经营", lead_unit=city.donghua),
        "xiguan": make("5.2", "无乱贴乱画", lead_unit=city.xiguan),
        "office": make("6.1", "公益广告", lead_command_office=city.command_office),
    }


def make_person(campaign, username, role, *, unit=None, command_office=None, name=None):
    person = Person.objects.create_user(username=username, password="pw", name=name or username)
    Membership.objects.create(
        person=person, campaign=campaign, role=role, unit=unit, command_office=command_office
    )
    return person


@pytest.fixture
def personas(city):
    """One person per role; `other_district_leader` leads 西城区 and must see nothing of 东城区."""
    c = city.campaign
    return SimpleNamespace(
        office_admin=make_person(c, "office", Role.OFFICE_ADMIN, name="王晓燕"),
        leader=make_person(c, "leader", Role.LEADER, name="刘志强"),
        inspector=make_person(c, "inspector", Role.INSPECTOR, name="赵明"),
        command_staff=make_person(
            c, "cmd", Role.COMMAND_STAFF, command_office=city.command_office, name="周建华"
        ),
        district_leader=make_person(c, "dongcheng", Role.UNIT_LEADER, unit=city.east, name="李勇"),
        street_leader=make_person(c, "donghua", Role.UNIT_LEADER, unit=city.donghua, name="张秀英"),
        street_liaison=make_person(
            c, "donghua_ll", Role.UNIT_LIAISON, unit=city.donghua, name="朱涛"
        ),
        community_leader=make_person(
            c, "donghua1", Role.UNIT_LEADER, unit=city.donghua1, name="刘伟"
        ),
        other_district_leader=make_person(
            c, "xicheng", Role.UNIT_LEADER, unit=city.west, name="孙刚"
        ),
        department_leader=make_person(
            c, "chengguan", Role.UNIT_LEADER, unit=city.chengguan, name="徐娟"
        ),
    )


@pytest.fixture
def client_for(db):
    """A logged-in test client for a person: `client_for(personas.office_admin)`. People whose
    role requires two-factor sign-in are signed in with their authenticator too."""

    def make(person):
        return force_login(Client(), person)

    return make


def prepared_statements(fragment):
    """[(statement, times run)] of the statements this connection keeps prepared whose text
    holds `fragment` (`campaign.statements`; PostgreSQL only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE strpos(statement, %s) > 0",
            [fragment],
        )
        return cursor.fetchall()


def wait_until(condition, timeout=60):
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False): for jobs
    that a real worker runs in another thread or process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            pass  # SQLite: the worker holds the shared in-memory database; look again
        time.sleep(0.2)
    return False
