"""Ledger search (`?q=`) through trigram indexes on PostgreSQL.

The search is `icontains` on description and address, which Django writes as
`UPPER(col::text) LIKE UPPER('%…%')`; a GIN index of pg_trgm trigrams on exactly that
expression serves it for any search of three characters or more (Chinese included). Shorter
searches give pg_trgm no trigram to look up, so PostgreSQL filters the person's scoped rows
instead (still correct, no faster). SQLite has no such index and keeps scanning.
"""

from django.db import migrations

INDEXES = {
    "finding_description_trgm": "UPPER(description::text) gin_trgm_ops",
    "finding_address_trgm": "UPPER(address::text) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON inspections_finding USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("inspections", "0002_list_order_indexes")]

    operations = [migrations.RunPython(create, drop)]
