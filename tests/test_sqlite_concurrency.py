"""The embedded SQLite default survives concurrent read-then-write requests.

With Django's default (deferred) transactions, two threads that read and then write upgrade
their locks at the same time and one fails with "database is locked"; WAL, a busy timeout
and IMMEDIATE transactions (config/settings.py) make them queue instead. This runs in a child
process on a real SQLite file, whatever database the rest of the suite uses.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import threading
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from campaign.models import LoginAttempt

call_command("migrate", "campaign", verbosity=0)
mode = connection.cursor().execute("PRAGMA journal_mode").fetchone()[0]
errors = []

def worker(n):
    from django.db import connection as own
    try:
        for i in range(25):
            with transaction.atomic():
                LoginAttempt.objects.filter(username=f"u{n}").count()  # read, then write
                LoginAttempt.objects.create(username=f"u{n}", ip_address="10.0.0.1", succeeded=True)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        own.close()

threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(mode, LoginAttempt.objects.count(), len(errors), errors[:1])
"""


def test_eight_threads_reading_then_writing_never_hit_database_is_locked(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ALLOW_INSECURE_KEY": "1",
        "SQLITE_PATH": str(tmp_path / "concurrency.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    mode, rows, errors, first_error = result.stdout.split(maxsplit=3)
    assert (mode, rows, errors) == ("wal", "200", "0"), first_error
