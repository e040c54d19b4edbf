"""Benchmark: how long each action takes while Redis is hung (or down, or up).

    .venv/bin/python bench/redis_hung.py [--repeat 20] [--redis hung|down|up] [--port 6394]

Starts a private `redis-server --port PORT --save ''` (never the shared one), points the
site's cache and Celery broker at it, builds the demo city in a throwaway SQLite file (or
DATABASE_URL if set), prepares one object per attempt while Redis answers, then freezes
Redis with SIGSTOP ("hung": connections are accepted, nothing is ever answered) or stops it
("down") and times each action through the whole middleware stack: log finding, rectify,
verify, task submit, bulletin publish, citizen report. Prints p50/p95/max per action and the
status codes; the target is p95 < 3 s with Redis hung.
"""

import argparse
import datetime
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 3


def start_redis(port):
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"redis-server did not start on port {port}")


def setup_django(redis_url):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("DEBUG", "1")  # plain static storage; no collectstatic needed
    os.environ["REDIS_URL"] = redis_url
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-media-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False  # the production error handling, not the technical 500 page
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())


def photo(name="scene.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (180, 60, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class Site:
    """The demo city's people and the objects each timed action needs, made beforehand."""

    def __init__(self, repeat):
        from campaign.models import Campaign, Person, Unit
        from inspections import services
        from inspections.models import FindingCategory

        self.repeat = repeat
        self.campaign = Campaign.objects.get(is_active=True)
        self.people = {p.username: p for p in Person.objects.all()}
        self.donghua = Unit.objects.get(campaign=self.campaign, name="东华街道")
        services.ensure_categories(self.campaign)
        self.category = FindingCategory.objects.filter(campaign=self.campaign).first()

    def client(self, username=None):
        from django.test import Client

        client = Client(REMOTE_ADDR="10.0.0.1")
        client.raise_request_exception = False
        if username:
            client.force_login(self.people[username])
        return client

    def finding(self, state):
        from inspections.services import log_finding

        finding = log_finding(
            campaign=self.campaign,
            actor=self.people["inspector"],
            photos=[photo()],
            description="东华路口流动摊点占道经营",
            category=self.category,
            severity="minor",
            address="东华路1号",
            territory=self.donghua,
        )
        finding.assign(
            actor=self.people["office"],
            unit=self.donghua,
            deadline=datetime.date.today() + datetime.timedelta(days=7),
        )
        finding.acknowledge(actor=self.people["donghua_ll"])
        if state == "awaiting":
            finding.submit_rectification(
                actor=self.people["donghua_ll"], measures="已整改", photos=[photo("after.jpg")]
            )
        return finding

    def task(self, n):
        from tasks.models import Task, TaskEvent

        task = Task.objects.create(
            campaign=self.campaign,
            title=f"背街小巷环境卫生整治 {n}",
            lead_unit=self.donghua,
            deadline=datetime.date.today() + datetime.timedelta(days=30),
        )
        TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.CREATED, to_status=task.status)
        return task

    def bulletin(self, n):
        from reports.bulletins import make_bulletin

        monday = datetime.date.today() - datetime.timedelta(weeks=n + 1)
        period = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
        bulletin, _created = make_bulletin(
            campaign=self.campaign, period=period, auto_publish=False
        )
        return bulletin

    def actions(self):
        """(name, [(client, url, data)…]) per action, everything prepared now."""
        from django.urls import reverse

        n = self.repeat
        log = [
            (
                self.client("inspector"),
                reverse("inspections:finding_create"),
                lambda: {
                    "description": "东华路口三处流动摊点占道经营",
                    "category": self.category.pk,
                    "severity": "minor",
                    "address": "东华路与建设街交叉口",
                    "territory": self.donghua.pk,
                    "assign_now": "on",
                    "photos": [photo()],
                },
            )
        ] * n
        rectify = [
            (
                self.client("donghua_ll"),
                reverse("inspections:finding_submit", args=[f.pk]),
                lambda f=f: {
                    "measures": "已劝离",
                    "photos": [photo("after.jpg")],
                    "version": f.version,
                },
            )
            for f in (self.finding("rectifying") for _ in range(n))
        ]
        verify = [
            (
                self.client("inspector2"),
                reverse("inspections:finding_verify", args=[f.pk]),
                lambda f=f: {"passed": "1", "note": "整改到位", "version": f.version},
            )
            for f in (self.finding("awaiting") for _ in range(n))
        ]
        submit = [
            (
                self.client("donghua_ll"),
                reverse("tasks:task_progress", args=[t.pk]),
                lambda t=t: {
                    "text": "全部完成",
                    "progress": 100,
                    "submit": "on",
                    "version": t.version,
                },
            )
            for t in (self.task(i) for i in range(n))
        ]
        publish = [
            (self.client("office"), reverse("reports:bulletin_publish", args=[b.pk]), dict)
            for b in (self.bulletin(i) for i in range(n))
        ]
        report = [
            (
                self.client(),
                reverse("inspections:citizen_report_for", args=[self.campaign.pk]),
                lambda: {"description": "垃圾桶满溢", "address": "东华路12号", "photo": [photo()]},
            )
        ] * n
        return [
            ("log finding", log),
            ("rectify", rectify),
            ("verify", verify),
            ("task submit", submit),
            ("bulletin publish", publish),
            ("citizen report", report),
        ]


def p95(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="attempts per action")
    parser.add_argument("--redis", choices=["hung", "down", "up"], default="hung")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", 6394)))
    args = parser.parse_args()

    redis = start_redis(args.port)
    try:
        setup_django(f"redis://127.0.0.1:{args.port}/0")
        print(f"Preparing {args.repeat} objects per action (Redis up)…", flush=True)
        site = Site(args.repeat)
        actions = site.actions()
        if args.redis == "hung":
            redis.send_signal(signal.SIGSTOP)
        elif args.redis == "down":
            redis.terminate()
            redis.wait(5)
        print(f"Redis {args.redis}. Timing each action {args.repeat} times:\n", flush=True)
        print(f"{'action':<18}{'p50 s':>8}{'p95 s':>8}{'max s':>8}  status codes")
        worst = 0.0
        for name, attempts in actions:
            samples, codes = [], Counter()
            for client, url, data in attempts:
                # Each attempt a distinct address, so the citizen-report limit never trips.
                client.defaults["REMOTE_ADDR"] = f"10.1.{len(samples) // 250}.{len(samples) % 250}"
                started = time.perf_counter()
                response = client.post(url, data())
                samples.append(time.perf_counter() - started)
                codes[response.status_code] += 1
            worst = max(worst, p95(samples))
            print(
                f"{name:<18}{statistics.median(samples):>8.2f}{p95(samples):>8.2f}"
                f"{max(samples):>8.2f}  {dict(sorted(codes.items()))}",
                flush=True,
            )
        verdict = "met" if worst < TARGET_SECONDS else "NOT met"
        print(
            f"\nWorst p95 {worst:.2f} s: the {TARGET_SECONDS} s target with Redis {args.redis} is {verdict}."
        )
    finally:
        if redis.poll() is None:
            redis.send_signal(signal.SIGCONT)
            redis.terminate()
            redis.wait(5)


if __name__ == "__main__":
    main()
