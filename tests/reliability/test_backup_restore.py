"""manage.py backup / restore: a seeded site comes back whole in an empty one, on SQLite and
on PostgreSQL — every finding, photo file and bulletin. Runs the commands as an operator
would, in separate processes."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parents[2]

INVENTORY = """
import json
from collections import Counter
from django.core.files.storage import default_storage
from django.db.models import Sum
from campaign.uploads import referenced_files
from inspections.models import Finding, FindingPhoto, FindingTally
from reports.models import Bulletin
files = referenced_files()
kept = FindingTally.objects.values_list("campaign", "status").annotate(n=Sum("n"))
print(json.dumps({
    # PostgreSQL's kept counts come back with the findings, not counted twice.
    "tally_is_the_count": (
        {(c, s): n for c, s, n in kept if n}
        == dict(Counter(Finding.objects.values_list("campaign", "status")))
    ) if FindingTally.is_kept() else None,
    "findings": sorted(Finding.objects.values_list("id", "description", "status")),
    "photos": sorted(p.image.name for p in FindingPhoto.objects.all()),
    "bulletins": sorted(Bulletin.objects.values_list("period", "number", "status")),
    "files": sorted(files),
    "files_on_disk": all(default_storage.exists(name) for name in files),
}))
"""


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "ALLOW_INSECURE_KEY": "1", **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def inventory(env):
    return json.loads(manage(env, "shell", "-c", INVENTORY).strip().splitlines()[-1])


def round_trip(source, target, archive):
    manage(source, "migrate", "-v0")
    manage(source, "seed_demo")
    before = inventory(source)
    assert before["findings"] and before["photos"] and before["bulletins"]
    assert before["files_on_disk"]
    assert before["tally_is_the_count"] is not False
    manage(source, "backup", "--output", str(archive))
    manage(target, "restore", str(archive))
    assert inventory(target) == before
    return before


def site_env(tmp_path, name, **extra):
    return {"MEDIA_ROOT": str(tmp_path / f"media-{name}"), "DATABASE_URL": "", **extra}


def test_a_sqlite_site_is_restored_whole_into_an_empty_one(tmp_path):
    round_trip(
        site_env(tmp_path, "source", SQLITE_PATH=str(tmp_path / "source.sqlite3")),
        site_env(tmp_path, "target", SQLITE_PATH=str(tmp_path / "target.sqlite3")),
        tmp_path / "site.tar",
    )


@pytest.fixture
def two_postgresql_databases():
    """Two fresh databases beside the test database (same server, names of our own)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    import psycopg

    config = dj_database_url.parse(url)
    stem = f"{config['NAME']}_bk_{uuid.uuid4().hex[:6]}"
    names = [f"{stem}_source", f"{stem}_target"]
    admin = psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    for name in names:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield [url.rsplit("/", 1)[0] + "/" + name for name in names]
    for name in names:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_a_postgresql_site_is_restored_whole_into_an_empty_one(tmp_path, two_postgresql_databases):
    source_url, target_url = two_postgresql_databases
    restored = round_trip(
        site_env(tmp_path, "source", DATABASE_URL=source_url),
        site_env(tmp_path, "target", DATABASE_URL=target_url),
        tmp_path / "site.tar",
    )
    assert restored["tally_is_the_count"] is True


def test_restore_refuses_a_site_that_is_not_empty(tmp_path):
    env = site_env(tmp_path, "site", SQLITE_PATH=str(tmp_path / "site.sqlite3"))
    manage(env, "migrate", "-v0")
    manage(env, "backup", "--output", str(tmp_path / "site.tar"))
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "site.tar")],
        cwd=ROOT,
        env={**os.environ, "ALLOW_INSECURE_KEY": "1", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "not empty" in result.stderr
