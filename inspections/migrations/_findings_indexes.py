"""Indexes of the findings that Django's schema editor cannot write: GIN indexes of pg_trgm's
trigrams, partial or not. PostgreSQL only: SQLite has no such index, and the queries they
serve stay correct there, scanning instead."""

from django.db import migrations

# The open statuses, as finding_search_open's condition holds them (0016, 0017): the open
# count asks for `status IN` these (tests/inspections/test_ledger_plans.py checks that they
# are still the model's).
OPEN_STATUSES = "'registered', 'awaiting', 'assigned', 'rectifying', 'returned', 'disputed'"


def _create(indexes):
    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, definition in indexes.items():
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(f"CREATE INDEX {name} ON inspections_finding {definition}")

    return create


def on_findings(indexes, *, replacing=None):
    """An operation that creates `indexes` ({name: "USING … (…) [WHERE …]"}) on the findings'
    table on PostgreSQL (with the pg_trgm extension), each in place of an index of its name,
    and, when it is reversed, drops them, or writes them again as `replacing` ({name:
    definition}, the earlier migration's) defined them."""

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(_create(indexes), _create(replacing) if replacing else drop)
