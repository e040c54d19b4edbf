"""Ledger search (`?q=`) through trigram indexes on PostgreSQL.

The search is `icontains` on description and address, which Django writes as
`UPPER(col::text) LIKE UPPER('%…%')`; a GIN index of pg_trgm trigrams on exactly that
expression serves it for any search of three characters or more (Chinese included). Shorter
searches give pg_trgm no trigram to look up, so PostgreSQL filters the person's scoped rows
instead (still correct, no faster). SQLite has no such index and keeps scanning.
"""

from django.db import migrations

from ._findings_indexes import on_findings


class Migration(migrations.Migration):
    dependencies = [("inspections", "0002_list_order_indexes")]

    operations = [
        on_findings(
            {
                "finding_description_trgm": "USING gin (UPPER(description::text) gin_trgm_ops)",
                "finding_address_trgm": "USING gin (UPPER(address::text) gin_trgm_ops)",
            }
        )
    ]
