"""Benchmarks: time pages at scale and report each as a ratio to a floor measured in the same run.

    .venv/bin/python bench/run.py [--districts 10 --streets 12 --communities 10] [--repeat 15]

The floor is the sign-in page (no data, same middleware and template stack). A ratio near a
constant as the data grows means the page scales; absolute times vary by machine, ratios much
less. Uses a throwaway SQLite file (or DATABASE_URL if set), never the app's database.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("DEBUG", "1")  # plain static storage; no collectstatic needed
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)


def timed(client, url, repeat):
    client.get(url)  # warm caches and connections
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=10)
    parser.add_argument("--streets", type=int, default=12)
    parser.add_argument("--communities", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.generate import build_city
    from campaign.models import Campaign, Membership, Person, Role, Unit

    campaign = Campaign.objects.create(
        name="基准测试",
        level=Campaign.Level.NATIONAL,
        city="基准市",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    started = time.perf_counter()
    build_city(
        campaign, districts=args.districts, streets=args.streets, communities=args.communities
    )
    print(f"data: {Unit.objects.count()} units built in {time.perf_counter() - started:.1f}s")

    admin = Person.objects.create_user(username="bench-admin", password="x", name="管理员")
    Membership.objects.create(person=admin, campaign=campaign, role=Role.OFFICE_ADMIN)
    street_person = Membership.objects.filter(unit__kind=Unit.Kind.STREET).first().person

    anonymous = Client()
    floor = timed(anonymous, "/login/", args.repeat)
    print(f"floor (sign-in page): {floor * 1000:.1f} ms")
    print(f"{'page':<40}{'who':<14}{'queries':>8}{'ms':>9}{'× floor':>9}")
    for who, person in (("office admin", admin), ("street leader", street_person)):
        client = Client()
        client.force_login(person)
        for url in ("/", "/org/units/", "/org/units/?q=社区", "/org/command-offices/"):
            reset_queries()  # DEBUG logs every query; count only this request's
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            median = timed(client, url, args.repeat)
            print(f"{url:<40}{who:<14}{len(queries):>8}{median * 1000:>9.1f}{median / floor:>9.1f}")


if __name__ == "__main__":
    main()
