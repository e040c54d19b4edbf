"""Indexes of the findings that Django's schema editor cannot write: GIN indexes of pg_trgm's
trigrams over an expression, partial or not. PostgreSQL only: SQLite has no such index, and
the queries they serve stay correct there, scanning instead."""

from django.db import migrations


def on_findings(indexes):
    """An operation that creates `indexes` ({name: "USING … (…) [WHERE …]"}) on the findings'
    table on PostgreSQL (with the pg_trgm extension), and drops them when it is reversed."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, definition in indexes.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON inspections_finding {definition}"
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in indexes:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
