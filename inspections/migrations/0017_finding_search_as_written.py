"""The ledger's search (`?q=`) looked up in trigram indexes of its columns as written.

0003 and 0016 indexed `UPPER(column)`, the expression Django's `icontains` compares, so each
finding read by a search was upper-cased, its address and then its description, before it was
compared: twice the cost of the comparison itself. The search now compares text without a
cased letter (Chinese, digits) as written, and other text with ILIKE
(`inspections.filters.ContainsInAnyCase`); a trigram index of the column as written serves
both (pg_trgm folds the case of its trigrams). Same names, same columns and conditions as
0003's and 0016's, and the same each way from three characters on.
"""

from django.db import migrations

from ._findings_indexes import OPEN_STATUSES, on_findings


def indexes(column):
    """The four indexes, of each searched column given by `column` ("{}" or "UPPER({}::text)")."""
    address, description = (
        f"{column.format(name)} gin_trgm_ops" for name in ("address", "description")
    )
    searched = f"{description}, {address}"
    return {
        "finding_description_trgm": f"USING gin ({description})",
        "finding_address_trgm": f"USING gin ({address})",
        "finding_search_open": f"USING gin ({searched}) WHERE status IN ({OPEN_STATUSES})",
        "finding_search_voided": f"USING gin ({searched}) WHERE status = 'voided'",
    }


class Migration(migrations.Migration):
    dependencies = [("inspections", "0016_finding_search_by_status")]

    operations = [on_findings(indexes("{}"), replacing=indexes("UPPER({}::text)"))]
