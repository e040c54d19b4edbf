"""The SQL that keeps `FindingTally` on PostgreSQL: a campaign's findings by status, added to
by triggers in the statement that changes them (migration 0015 installs it).

The triggers only ever add rows (a status's count goes up by one row of +n and down by one of
-n): a count kept in place would be one row that every transition of the campaign updates,
so two people's transitions would wait on each other, an import would hold it for its whole
transaction, and opposite moves could deadlock. The rows are summed when read and folded into
one per campaign and status by `compact_finding_tallies` (beat, every ten minutes), and
checked against the findings every night by `check_finding_tallies`, which counts them again
where they disagree (findings written with the triggers off).

Each trigger fires once per statement and reads the statement's rows as a table, so a bulk
import or a bulk update writes one row per campaign and status it touched, not one per
finding. An update that moves no finding to another status or campaign writes nothing.
"""

TRIGGERS = """
CREATE FUNCTION inspections_finding_tally_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inspections_findingtally (campaign_id, status, n)
    SELECT campaign_id, status, COUNT(*) FROM added GROUP BY campaign_id, status;
    RETURN NULL;
END $$;

CREATE FUNCTION inspections_finding_tally_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH moved AS (
        SELECT was.campaign_id AS from_campaign_id, was.status AS from_status,
               is_now.campaign_id AS to_campaign_id, is_now.status AS to_status
        FROM before_rows was JOIN after_rows is_now ON is_now.id = was.id
        WHERE (was.campaign_id, was.status) IS DISTINCT FROM (is_now.campaign_id, is_now.status)
    )
    INSERT INTO inspections_findingtally (campaign_id, status, n)
    SELECT campaign_id, status, SUM(n) FROM (
        SELECT from_campaign_id, from_status, -1 FROM moved
        UNION ALL
        SELECT to_campaign_id, to_status, 1 FROM moved
    ) change (campaign_id, status, n)
    GROUP BY campaign_id, status
    HAVING SUM(n) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION inspections_finding_tally_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO inspections_findingtally (campaign_id, status, n)
    SELECT campaign_id, status, -COUNT(*) FROM removed GROUP BY campaign_id, status;
    RETURN NULL;
END $$;

CREATE TRIGGER inspections_finding_tally_inserted AFTER INSERT ON inspections_finding
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_tally_inserted();
CREATE TRIGGER inspections_finding_tally_updated AFTER UPDATE ON inspections_finding
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_tally_updated();
CREATE TRIGGER inspections_finding_tally_deleted AFTER DELETE ON inspections_finding
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION inspections_finding_tally_deleted();
"""

DROP_TRIGGERS = """
DROP TRIGGER inspections_finding_tally_inserted ON inspections_finding;
DROP TRIGGER inspections_finding_tally_updated ON inspections_finding;
DROP TRIGGER inspections_finding_tally_deleted ON inspections_finding;
DROP FUNCTION inspections_finding_tally_inserted();
DROP FUNCTION inspections_finding_tally_updated();
DROP FUNCTION inspections_finding_tally_deleted();
"""

# The findings held still while the tally is compared with them or counted again: SHARE mode
# lets reads go on and makes writers wait, so no change commits between the two counts.
HOLD_FINDINGS = "LOCK TABLE inspections_finding IN SHARE MODE"

# The tally counted again from the findings.
RECOUNT = """
DELETE FROM inspections_findingtally;
INSERT INTO inspections_findingtally (campaign_id, status, n)
SELECT campaign_id, status, COUNT(*) FROM inspections_finding GROUP BY campaign_id, status;
"""

# Where the tally and the findings disagree: (campaign, status, kept, counted).
DIFFERENCES = """
SELECT campaign_id, status, COALESCE(kept, 0), COALESCE(counted, 0)
FROM (
    SELECT campaign_id, status, SUM(n) AS kept FROM inspections_findingtally
    GROUP BY campaign_id, status
) tallied
FULL JOIN (
    SELECT campaign_id, status, COUNT(*) AS counted FROM inspections_finding
    GROUP BY campaign_id, status
) found USING (campaign_id, status)
WHERE COALESCE(kept, 0) <> COALESCE(counted, 0)
ORDER BY campaign_id, status
"""

# Every row folded into one per campaign and status (none where the sum is 0), in one
# statement: rows another transaction adds meanwhile are not among those deleted, so they
# stay, and the sums do not change.
COMPACT = """
WITH folded AS (DELETE FROM inspections_findingtally RETURNING campaign_id, status, n)
INSERT INTO inspections_findingtally (campaign_id, status, n)
SELECT campaign_id, status, SUM(n) FROM folded GROUP BY campaign_id, status HAVING SUM(n) <> 0
"""
