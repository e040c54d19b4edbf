"""The ledger's queries (and the dashboard's count of open findings) are answered from the
indexes made for them (issue 13, scale): at city size a street's page 5 walked 12,000 heap
rows (17 ms) until its page of ids was chosen in `finding_ledger_scope` alone. The test data
are small, so the planner is told to read an index in order; what is checked is that the
index covers the query (an index-only scan), which a column dropped from the index or added
to the query would undo: with the index as it was before (no included columns) the test
fails."""

import datetime
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.filters import ledger_filter
from inspections.models import OPEN, Finding, Status, SupervisionLevel
from tests.conftest import prepared_statements

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans of PostgreSQL (CI runs on it)"
)


# The ledger's page of rows, read by the ids chosen in its subquery (`_read_rows_by_id`).
PAGE_ROWS = 'SELECT "inspections_finding"."id" AS "pk", "inspections_finding"."found_on" AS'


def plan(queryset):
    return plan_sql(*queryset.query.sql_with_params())


def plan_sql(sql, params=(), *, sort=False, bitmaps=False):
    """`sql`'s plan with the table and (unless `bitmaps`: a GIN index is read no other way)
    bitmap scans off."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"SET LOCAL enable_bitmapscan = {'on' if bitmaps else 'off'}")
        # Nor sort what an index gives in order (other tests' campaigns may make another
        # index of the campaign, then a sort, look cheaper).
        cursor.execute(f"SET LOCAL enable_sort = {'on' if sort else 'off'}")
        cursor.execute("ANALYZE inspections_finding")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def only_indexes(*patterns):
    """Drops (inside the test's transaction) the findings' indexes other than those named
    by `patterns` (LIKE patterns) and the primary key: which index the planner prefers on a
    test's few rows is its own affair, and what is checked is what the named ones cover."""
    with connection.cursor() as cursor:
        kept = " AND ".join(["indexname NOT LIKE %s"] * len(patterns))
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'inspections_finding'"
            f" AND indexname <> 'inspections_finding_pkey' AND {kept}",
            patterns,
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
        # A GIN index's entries written since the last vacuum wait in its pending list, which
        # every lookup reads whole: on a test database, read up by the whole suite's findings,
        # two lookups of a search then cost more than reading a partial index whole for its
        # condition alone. Vacuumed, as the city's indexes are.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index"
            " JOIN pg_class ON pg_class.oid = indexrelid JOIN pg_am ON pg_am.oid = relam"
            " WHERE indrelid = 'inspections_finding'::regclass AND amname = 'gin'"
        )


def counts_sql(city, person, make_finding):
    """The SQL of the ledger's counts for `person` (three open findings of theirs), with the
    findings' indexes other than those of a unit person's ways dropped (`only_indexes`)."""
    for n in range(3):
        make_finding("assigned", address=f"东华路{n}号")
    asked = ledger_filter(person, city.campaign, QueryDict())
    counted = asked.applied_to(Finding.objects.filter(campaign=city.campaign))
    with CaptureQueriesContext(connection) as queries:
        counted.status_counts(on=datetime.date.today(), cap=1000, seen_by=person)
    (counts,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    only_indexes("finding_unit_%", "finding_territory_%")
    return counts


@pytest.mark.parametrize(
    ("asked", "index"), [("", "finding_ledger_scope"), ("status=closed", "finding_status_order")]
)
@pytest.mark.parametrize("persona", ["office_admin", "street_liaison"])
def test_a_ledger_page_chooses_its_ids_in_the_index_of_its_order(
    city, personas, make_finding, persona, asked, index
):
    """A page's ids, newest first, are chosen in an index that holds the scope's columns:
    the ledger's own, or, filtered by a status, the one of that status (before it, a street's
    closed findings were read through the table, a row for each closed finding of the city
    passed over)."""
    for n in range(3):
        make_finding("closed" if asked else "assigned", address=f"东华路{n}号")
    person = getattr(personas, persona)
    filtered = ledger_filter(person, city.campaign, QueryDict(asked)).qs
    page_ids = filtered.values("pk")[30:60]  # as finding_list reads page 2's ids
    only_indexes(index)
    assert f"Index Only Scan using {index}" in plan(page_ids)


def test_a_streets_counts_read_only_the_indexes_of_its_ways(city, personas, make_finding):
    """The counts bar, for a street: each way it sees findings (its units, its territories)
    is counted from an index that holds every column the count reads. With the two ways
    OR-ed, before issue 13's counts indexes, the street's thousand closed findings were read
    from the table (2.3 ms of the page at city size). Which index the planner prefers on a
    test's few rows is its own affair: the other indexes of the table are dropped for the
    test (`only_indexes`), and each part must still be an index-only scan of its way's
    index, which it is only if that index covers it."""
    counts = counts_sql(city, personas.street_liaison, make_finding)
    # Open findings are grouped by status, so sorted after the index is read.
    scans = [line for line in plan_sql(counts, sort=True).splitlines() if "Scan" in line]
    finding_scans = [line for line in scans if " on inspections_finding" in line]
    assert len(finding_scans) == 6, "\n".join(scans)  # (open, closed, voided) × 2 ways
    for line in finding_scans:
        assert "Index Only Scan using finding_unit_" in line or (
            "Index Only Scan using finding_territory_" in line
        ), "\n".join(scans)


@pytest.mark.parametrize("persona", ["district_leader", "street_liaison"])
def test_a_unit_persons_counts_pass_over_the_findings_counted_already_by_a_hashed_lookup(
    city, personas, make_finding, persona
):
    """A finding seen both ways (handed to one of the person's units and found in one of
    their territories) is counted once: the territories' part passes over the findings whose
    unit is the person's. That test is a set of unit ids hashed once per query, not the array
    of them walked for every finding the part reads: a district's ninety unit ids were
    compared with each of its territories' findings, 700 closed and voided ones at city
    size, 2.4 ms of its counts' 4.8 ms. With the array walked the test fails."""
    counts = counts_sql(city, getattr(personas, persona), make_finding)
    plan = plan_sql(counts, sort=True)
    assert "unit_id <> ALL" not in plan, plan
    # Each part's findings pass over a withheld round's (a hashed subplan of the rounds);
    # the territories' three parts (open, closed, voided) over the units' findings too.
    withheld = plan.count("Seq Scan on fieldwork_round")
    assert plan.count("NOT (hashed SubPlan") == withheld + 3, plan


def test_the_dashboards_open_findings_are_counted_from_the_status_counts_index(
    city, personas, make_finding
):
    """The dashboard's live figures count open findings per command office, which they reach
    through the finding's standard: finding_status_counts includes the standard, so the
    findings are read from the index alone. Before it did, the office's count fetched every
    open finding's row (15 ms at city size); without the included column the test fails."""
    from reports.rankings import live_figures
    from tasks.models import TaskPart

    for n in range(3):
        make_finding("assigned", address=f"东华路{n}号")
    findings = Finding.objects.visible_to(personas.office_admin).filter(campaign=city.campaign)
    with CaptureQueriesContext(connection) as queries:
        live_figures(findings, TaskPart.objects.filter(task__campaign=city.campaign))
    (figures,) = [q["sql"] for q in queries if "inspections_finding" in q["sql"]]
    only_indexes("finding_status_counts")
    scans = [line for line in plan_sql(figures, sort=True).splitlines() if "Scan" in line]
    (finding_scan,) = [line for line in scans if " on inspections_finding" in line]
    assert "Index Only Scan using finding_status_counts" in finding_scan, "\n".join(scans)


@pytest.mark.parametrize(
    ("show", "index"), [("open", "finding_supervised_open"), ("all", "finding_supervised_order")]
)
def test_a_streets_supervision_page_chooses_its_ids_in_the_supervised_index(
    city, personas, make_finding, client_for, show, index
):
    """The supervision list, as the ledger: a street's page of ids is chosen in the index of
    supervised findings alone, which holds the columns the street's scope reads. Before it
    did, the street's list read every supervised finding of the city from the table to keep
    its own (3,000 rows for 33 at city size, 7 ms); without the included columns the test
    fails."""
    for n in range(3):
        finding = make_finding("rectifying", address=f"东华路{n}号")
        finding.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    client = client_for(personas.street_liaison)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inspections:supervision_list"), {"show": show})
    assert len(response.context["page"]) == 3
    (ids,) = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "inspections_finding"."id" AS "pk" FROM')
    ]
    only_indexes(index)
    scans = [line for line in plan_sql(ids).splitlines() if "Scan" in line]
    (finding_scan,) = [line for line in scans if " on inspections_finding" in line]
    assert f"Index Only Scan using {index}" in finding_scan, "\n".join(scans)


@pytest.mark.parametrize("persona", ["office_admin", "street_liaison"])
def test_a_searchs_open_and_voided_matches_are_counted_from_trigram_indexes_of_their_own(
    city, personas, make_finding, persona
):
    """A search's counts bar counts the open and the voided matches in full, and the closed
    ones up to the cap. Read from the trigram indexes of the whole ledger, each count built
    the bitmap of every finding matching the search in three years of history, closed ones
    and all, then kept its status (the office's 建设路1 at city size: 3,067 matches for 73
    open ones, 2.9 ms, and 2.1 ms for 82 voided ones). The open and the voided findings have
    trigram indexes of their own, a few percent of the ledger, which each count reads
    instead (0.3 and 0.4 ms); without them the test fails. As above, which index the planner
    prefers on a test's few rows is its own affair: the findings' other indexes are dropped,
    and each count must still look the search up in its status's index. Bitmap scans are
    the only way a GIN index is read, so, unlike the tests above, this one leaves them on."""
    for n in range(3):
        make_finding("assigned", address=f"建设路{n}号")
        make_finding("voided", address=f"建设路{n + 3}号")
        make_finding("assigned", address=f"东华路{n}号")
    person = getattr(personas, persona)
    searched = ledger_filter(person, city.campaign, QueryDict("q=建设路")).qs
    with CaptureQueriesContext(connection) as queries:
        counts, _overdue = searched.status_counts(on=datetime.date.today(), cap=1000)
    assert (counts["assigned"], counts["voided"]) == (3, 3)
    (sql,) = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    only_indexes("finding_search_%")
    # (The captured SQL holds the search's LIKE pattern, whose % is not a parameter.)
    plan = plan_sql(sql.replace("%", "%%"), sort=True, bitmaps=True)
    branches = plan.split("Subquery Scan")
    # Each looks the search up in its index (a GIN index may also be read whole, for its
    # condition alone, when it does not hold what is searched).
    looked_up = r"Bitmap Index Scan on {}[^\n]*\n\s*Index Cond: [^\n]*~~"
    assert re.search(looked_up.format("finding_search_open"), branches[0]), plan  # open first
    assert re.search(looked_up.format("finding_search_voided"), branches[-1]), plan  # voided last
    assert "finding_search_" not in branches[1], plan


@pytest.mark.django_db
def test_the_open_findings_search_index_holds_exactly_the_open_statuses():
    """finding_search_open is written in SQL (0016), not declared on the model, so
    makemigrations would not notice the open statuses change: the open count asks for
    `status IN OPEN`, which the index's condition must be for the planner to read it. Should
    a status become open or stop being so, this test says the index needs a migration."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(indpred, indrelid) FROM pg_index"
            " WHERE indexrelid = 'finding_search_open'::regclass"
        )
        (condition,) = cursor.fetchone()
    assert set(re.findall(r"'(\w+)'", condition)) == {status.value for status in OPEN}


@pytest.mark.parametrize("persona", ["district_leader", "street_liaison"])
def test_a_search_with_few_matches_chooses_its_page_among_the_matches(
    city, personas, make_finding, client_for, persona
):
    """A search (any filter but those counted way by way) that the counts show to match few
    findings has its page chosen among the matches, then sorted: not by walking the ledger's
    order until thirty matches have passed, a row of the table read for each finding of the
    campaign passed over (a district's search at city size: 26,000 rows for 352 matches,
    54 ms, and growing with the table). No index may give the page its order, so the plan
    sorts the matches even when sorting is made as costly as the planner allows."""
    for n in range(3):
        make_finding("assigned", address=f"建设路{n}号")
        make_finding("assigned", address=f"东华路{n}号")
    client = client_for(getattr(personas, persona))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inspections:finding_list"), {"q": "建设路"})
    assert [row["address"] for row in response.context["page"]] == [
        f"建设路{n}号" for n in (2, 1, 0)
    ]
    (rows,) = [q["sql"] for q in queries if q["sql"].startswith(PAGE_ROWS) and "LIMIT" in q["sql"]]
    # Sorting off: an index in the page's order would be walked. (The captured SQL holds
    # the search's LIKE pattern, whose % is not a parameter.)
    chosen = plan_sql(rows.replace("%", "%%"))
    assert "Sort Key: " in chosen.split("Limit", 1)[-1], chosen


@pytest.mark.parametrize("asked", [{}, {"status": "closed"}, {"q": "路"}])
def test_a_ledger_with_many_matches_walks_the_index_of_its_order(
    city, personas, client_for, monkeypatch, asked
):
    """Where the counts show many matches (more than the cap of a count, or counted way by
    way), the page is chosen by walking an index in the list's order: thirty matches come
    soon, and sorting every match would read the whole history."""
    from inspections import views

    monkeypatch.setattr(views, "COUNT_CAP", 2)
    for n in range(4):
        Finding.objects.create(
            campaign=city.campaign, source="routine", description=f"问题{n}",
            address=f"东华路{n}号", unit=city.donghua, territory=city.donghua, status="closed",
        )  # fmt: skip
    client = client_for(personas.office_admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inspections:finding_list"), asked)
    assert len(response.context["page"]) == 3  # as many as counted: "2+" closed
    (rows,) = [q["sql"] for q in queries if q["sql"].startswith(PAGE_ROWS) and "LIMIT" in q["sql"]]
    assert "Sort Key: " not in plan_sql(rows.replace("%", "%%")).split("Limit", 1)[-1]


def test_a_unit_persons_counts_are_one_statement_prepared_for_every_person_of_their_kind(
    city, personas, make_finding, client_for
):
    """The counts bar of a unit person is planned once per connection, not on every view of
    the ledger: at city size a street's counts were planned in 5.3 ms and run in 1.8 ms. It
    is one statement for every person who sees findings the same ways (two district
    leaders here: their units are its parameters), which PostgreSQL keeps prepared on the
    connection (`campaign.statements`). The statuses are written in, so that the plan
    PostgreSQL settles on may still read the partial indexes of the open ones."""
    make_finding("assigned")
    make_finding("assigned", unit=city.xiguan, territory=city.xiguan)
    url = reverse("inspections:finding_list")
    shown = {}
    for person in (personas.district_leader, personas.other_district_leader):
        client = client_for(person)
        for _view in range(4):
            shown[person] = {value: n for value, _label, n in client.get(url).context["counts"]}
    assert shown[personas.district_leader] == {**dict.fromkeys(Status.values, 0), "assigned": 1}
    assert shown[personas.other_district_leader] == shown[personas.district_leader]
    prepared = prepared_statements("found0")
    assert [runs for _statement, runs in prepared] == [8], prepared
    ((statement, _runs),) = prepared
    # Each way's units are a parameter; the statuses are written in.
    assert statement.count("= ANY((SELECT $") == 2, statement
    assert "'registered'" in statement and "'closed'" in statement, statement


def test_a_search_checks_a_findings_address_before_its_description(city, personas):
    """A search matches a finding's address or its description, and each finding the trigram
    indexes offer is checked on its row (a trigram index only narrows the candidates). The
    address, a few characters, is checked first: a finding found by its address is not also
    read for its description, ten times as long (the office's 建设路1 at city size: its
    counts checked 1,156 matching rows, 2.45 → 1.72 ms). A finding found by its description
    costs one short check more."""
    searched = ledger_filter(personas.office_admin, city.campaign, QueryDict("q=建设路")).qs
    sql, params = searched.query.sql_with_params()
    checks = plan_sql(sql, params, bitmaps=True)
    (recheck,) = [
        line for line in checks.splitlines() if "Recheck Cond" in line or "Filter" in line
    ]
    assert recheck.index("address") < recheck.index("description"), checks


@pytest.mark.parametrize("text", ["建设路", "建设路ab", "设路AB"])
def test_a_search_of_three_characters_or_more_is_looked_up_in_the_trigram_indexes(
    city, personas, make_finding, text
):
    """A search is compared as written where no case changes it, and in any case (ILIKE)
    where one does (tests/inspections/test_ledger_search.py): the trigram indexes are of the
    columns as written, which serve both (pg_trgm folds the case of its trigrams). Indexes
    of UPPER(column), which Django's icontains asks for, serve neither: with them the plan
    reads the whole table, and the test fails."""
    make_finding("assigned", address="建设路AB号")
    searched = ledger_filter(personas.office_admin, city.campaign, QueryDict(f"q={text}")).qs
    assert searched.filter(address="建设路AB号").exists()
    sql, params = searched.query.sql_with_params()
    only_indexes("finding_address_trgm", "finding_description_trgm")
    plan = plan_sql(sql, params, bitmaps=True)
    assert "Bitmap Index Scan on finding_address_trgm" in plan, plan
    assert "Bitmap Index Scan on finding_description_trgm" in plan, plan
