"""Backing up and restoring the whole site: the database and every uploaded file.

A backup is one tar file holding `manifest.json`, the database (PostgreSQL: `pg_dump -Fc`;
SQLite: a copy made with SQLite's online backup API, safe while the site is running) and
`media/` (photos, evidence, bulletin PDFs). The database is copied first and the files
after it: files are only ever added under new names, so every file the copied database
refers to is already on disk when the files are copied; the manifest lists any that are not.
"""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from .uploads import referenced_files

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def _engine():
    vendor = connection.vendor
    if vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _pg_environment():
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for variable, key in [
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ]:
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _run(command):
    if not shutil.which(command[0]):
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)."
        )
    result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def make_backup(output):
    """Write a backup of the database and MEDIA_ROOT to `output` (a .tar path); returns the manifest."""
    engine = _engine()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    referenced = referenced_files()
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as work:
        if engine == "postgresql":
            database = Path(work) / "database.dump"
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(database)]
            )
        else:
            database = Path(work) / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            target = sqlite3.connect(database)
            with target:
                source.backup(target)
            source.close()
            target.close()
        files = (
            sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
            if media.is_dir()
            else []
        )
        manifest = {
            "format": FORMAT,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "engine": engine,
            "database": database.name,
            "media_files": len(files),
            "missing_files": sorted(referenced - set(files)),
        }
        manifest_path = Path(work) / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(manifest_path, arcname="manifest.json")
            tar.add(database, arcname=database.name)
            for name in files:
                tar.add(media / name, arcname=f"media/{name}")
        # Only a complete archive gets the final name.
        partial.replace(output)
    return manifest


def _is_empty():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    media = Path(settings.MEDIA_ROOT)
    has_files = media.is_dir() and any(p.is_file() for p in media.rglob("*"))
    return not tables and not has_files


def restore_backup(archive, *, replace=False):
    """Restore a backup made by `make_backup` into this site's database and MEDIA_ROOT.

    Refuses a site that already has tables or files unless `replace` is given.
    Returns the archive's manifest.
    """
    engine = _engine()
    if not replace and not _is_empty():
        raise BackupError(
            "This site is not empty (its database has tables or MEDIA_ROOT has files). "
            "Restore into an empty database and media folder, or pass --replace."
        )
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive) as tar:
        tar.extractall(work, filter="data")
        manifest = json.loads((Path(work) / "manifest.json").read_text())
        if manifest.get("format") != FORMAT or manifest.get("engine") != engine:
            raise BackupError(
                f"This is a {manifest.get('engine')} backup; this site runs on {engine}."
            )
        database = Path(work) / manifest["database"]
        if engine == "postgresql":
            command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
            if replace:
                command += ["--clean", "--if-exists"]
            connection.close()
            _run([*command, "-d", settings.DATABASES["default"]["NAME"], str(database)])
        else:
            connection.close()
            source = sqlite3.connect(database)
            target = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            with target:
                source.backup(target)
            source.close()
            target.close()
        media = Path(settings.MEDIA_ROOT)
        extracted = Path(work) / "media"
        if extracted.is_dir():
            media.mkdir(parents=True, exist_ok=True)
            shutil.copytree(extracted, media, dirs_exist_ok=True)
    return manifest
