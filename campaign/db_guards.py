"""Database-level protection of the audit log: a trigger refuses to change any entry, and to
delete one younger than the 180-day retention (等保 2.0), whatever the client — the app, the
admin site, a script or a SQL console with the app's credentials.

Installed by a migration; `manage.py flush` (a whole-database wipe, used by tests) lifts it on
SQLite for the wipe and puts it back (PostgreSQL's flush truncates, which row triggers ignore).
"""

RETENTION_DAYS = 180

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS campaign_auditentry_no_delete
    BEFORE DELETE ON campaign_auditentry
    WHEN OLD."at" >= datetime('now', '-{RETENTION_DAYS} days')
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS campaign_auditentry_no_update
    BEFORE UPDATE ON campaign_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS campaign_auditentry_no_delete",
    "DROP TRIGGER IF EXISTS campaign_auditentry_no_update",
]

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION campaign_auditentry_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD."at" < now() - interval '{RETENTION_DAYS} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit entries are append-only';
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS campaign_auditentry_append_only ON campaign_auditentry",
    """
    CREATE TRIGGER campaign_auditentry_append_only
    BEFORE UPDATE OR DELETE ON campaign_auditentry
    FOR EACH ROW EXECUTE FUNCTION campaign_auditentry_append_only()
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS campaign_auditentry_append_only ON campaign_auditentry",
    "DROP FUNCTION IF EXISTS campaign_auditentry_append_only()",
]


def run_statements(connection, statements):
    """Each of `statements` (SQL without parameters) on `connection`, in order: the database's
    own rules, installed by migrations (this guard, `tasks.copies`)."""
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_audit_guard(connection):
    if connection.vendor == "sqlite":
        run_statements(connection, SQLITE_INSTALL)
    elif connection.vendor == "postgresql":
        run_statements(connection, POSTGRESQL_INSTALL)


def remove_audit_guard(connection):
    if connection.vendor == "sqlite":
        run_statements(connection, SQLITE_REMOVE)
    elif connection.vendor == "postgresql":
        run_statements(connection, POSTGRESQL_REMOVE)
