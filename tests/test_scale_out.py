"""Scale-out: two gunicorn web processes and two Celery workers on one PostgreSQL and one Redis.

A person signs in once and moves between the two web processes (sessions are shared); the
rankings of an unfrozen week, asked for on one web process, are computed by whichever worker
takes the job and then shown by the other web process (the figures are in the shared cache).
Needs DATABASE_URL (PostgreSQL: the processes share the test database) and REDIS_URL.
"""

import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from reports.periods import iso_period

from .reports.conftest import make_finding

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="needs DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def processes(transactional_db):
    """Two web processes and two workers against this test's database; yields the web URLs."""
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        + "/"
        + connection.settings_dict["NAME"],
        "ALLOW_INSECURE_KEY": "1",
        "DEBUG": "1",
        "DB_CONN_MAX_AGE": "0",
    }
    python = Path(sys.executable).parent
    ports = [free_port(), free_port()]
    started = [
        subprocess.Popen(
            [python / "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ] + [
        subprocess.Popen(
            [python / "celery", "-A", "config", "worker", "-Q", "default,pdf,exports", "-P", "solo"]
            + ["-n", f"scale-out-{n}@%h", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in (1, 2)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            assert wait_until(lambda url=url: fetch(url + "/login/")[0] == 200, timeout=60)
        yield urls
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def fetch(url, session=None):
    request = urllib.request.Request(url)
    if session:
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except OSError:
        return None, ""


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_the_journey_runs_across_two_web_and_two_worker_processes(city, personas, processes):
    web_a, web_b = processes
    today = datetime.date.today()
    week = iso_period(today)
    make_finding(city.campaign, city.donghua1, found_on=today)
    client = Client()
    client.force_login(personas.street_leader)
    session = client.cookies["sessionid"].value

    # Signed in once, the person is known to both web processes.
    for web in (web_a, web_b):
        status, page = fetch(web + "/ledger/", session)
        assert status == 200 and "东华第1社区" in page

    # One web process asks for this week's figures; a worker computes them once.
    url = f"/reports/rankings/?period={week}&kind=community"
    status, page = fetch(web_a + url, session)
    assert status == 200 and "正在计算" in page

    # The other web process shows them as soon as a worker has put them in the shared cache.
    assert wait_until(lambda: "东华第1社区" in fetch(web_b + url, session)[1], timeout=60)
    status, page = fetch(web_b + url, session)
    assert "正在计算" not in page
