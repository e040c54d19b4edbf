"""The ledger's queries are answered from the indexes made for them (issue 13, scale): at city
size a street's page 5 walked 12,000 heap rows (17 ms) until its page of ids was chosen in
`finding_ledger_scope` alone. The test data are small, so the planner is told to read an
index in order; what is checked is that the index covers the query (an index-only scan),
which a column dropped from the index or added to the query would undo: with the index as
it was before (no included columns) the test fails."""

import pytest
from django.db import connection
from django.http import QueryDict

from inspections.filters import ledger_filter

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans of PostgreSQL (CI runs on it)"
)


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        # Nor sort what an index gives in order (other tests' campaigns may make another
        # index of the campaign, then a sort, look cheaper).
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("ANALYZE inspections_finding")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("persona", ["office_admin", "street_liaison"])
def test_a_ledger_page_chooses_its_ids_in_the_ledger_scope_index(
    city, personas, make_finding, persona
):
    for n in range(3):
        make_finding("assigned", address=f"东华路{n}号")
    person = getattr(personas, persona)
    filtered = ledger_filter(person, city.campaign, QueryDict()).qs
    page_ids = filtered.values("pk")[30:60]  # as finding_list reads page 2's ids
    assert "Index Only Scan using finding_ledger_scope" in plan(page_ids)
