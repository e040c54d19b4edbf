"""The task's campaign and deadline on each of its parts (`TaskPart.task_campaign`,
`TaskPart.task_deadline`), kept by the database's triggers, on PostgreSQL and on SQLite: a
part takes its task's as it is written (whatever it was given), and a task's new deadline
goes to its parts in the statement that changes it. No writer of tasks or parts (a form, a
bulk change, an import, the bench's COPY) has to know.

`install` is run by the migration that added the copies (after filling them in) and after
every `migrate` (`TasksConfig.ready`): SQLite rebuilds a table to alter it, and its triggers
go with the old table.
"""

from campaign.db_guards import run_statements

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION tasks_taskpart_copy_task() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT campaign_id, deadline INTO NEW.task_campaign_id, NEW.task_deadline
        FROM tasks_task WHERE id = NEW.task_id;
        RETURN NEW;
    END $$
    """,
    """
    CREATE OR REPLACE TRIGGER tasks_taskpart_copy_task
    BEFORE INSERT OR UPDATE OF task_id, task_campaign_id, task_deadline ON tasks_taskpart
    FOR EACH ROW EXECUTE FUNCTION tasks_taskpart_copy_task()
    """,
    """
    CREATE OR REPLACE FUNCTION tasks_task_copy_to_parts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tasks_taskpart SET task_campaign_id = NEW.campaign_id, task_deadline = NEW.deadline
        WHERE task_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE TRIGGER tasks_task_copy_to_parts
    AFTER UPDATE OF campaign_id, deadline ON tasks_task FOR EACH ROW
    WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.deadline IS DISTINCT FROM NEW.deadline)
    EXECUTE FUNCTION tasks_task_copy_to_parts()
    """,
]

# SQLite has no BEFORE trigger that sets a row's values: the part is written, then set.
_COPY_TO_PART = """
    UPDATE tasks_taskpart SET
        task_campaign_id = (SELECT campaign_id FROM tasks_task WHERE id = NEW.task_id),
        task_deadline = (SELECT deadline FROM tasks_task WHERE id = NEW.task_id)
    WHERE id = NEW.id;
"""
SQLITE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS tasks_taskpart_copy_task_inserted
    AFTER INSERT ON tasks_taskpart
    BEGIN {_COPY_TO_PART} END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS tasks_taskpart_copy_task_updated
    AFTER UPDATE OF task_id, task_campaign_id, task_deadline ON tasks_taskpart
    WHEN NEW.task_campaign_id IS NOT (SELECT campaign_id FROM tasks_task WHERE id = NEW.task_id)
        OR NEW.task_deadline IS NOT (SELECT deadline FROM tasks_task WHERE id = NEW.task_id)
    BEGIN {_COPY_TO_PART} END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS tasks_task_copy_to_parts
    AFTER UPDATE OF campaign_id, deadline ON tasks_task
    WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.deadline IS NOT NEW.deadline
    BEGIN
        UPDATE tasks_taskpart SET task_campaign_id = NEW.campaign_id, task_deadline = NEW.deadline
        WHERE task_id = NEW.id;
    END
    """,
]

# Every part given its task's values, as the triggers would have.
FILL_IN = {
    "postgresql": """
        UPDATE tasks_taskpart part SET task_campaign_id = task.campaign_id,
            task_deadline = task.deadline
        FROM tasks_task task WHERE task.id = part.task_id
    """,
    "sqlite": """
        UPDATE tasks_taskpart SET
            task_campaign_id = (SELECT campaign_id FROM tasks_task WHERE id = task_id),
            task_deadline = (SELECT deadline FROM tasks_task WHERE id = task_id)
    """,
}

REMOVE = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS tasks_taskpart_copy_task ON tasks_taskpart",
        "DROP TRIGGER IF EXISTS tasks_task_copy_to_parts ON tasks_task",
        "DROP FUNCTION IF EXISTS tasks_taskpart_copy_task()",
        "DROP FUNCTION IF EXISTS tasks_task_copy_to_parts()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS tasks_taskpart_copy_task_inserted",
        "DROP TRIGGER IF EXISTS tasks_taskpart_copy_task_updated",
        "DROP TRIGGER IF EXISTS tasks_task_copy_to_parts",
    ],
}


def install(connection):
    """The triggers on `connection`'s database (again: each statement may be run twice)."""
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor, [])
    run_statements(connection, statements)


def fill_in(connection):
    run_statements(connection, [FILL_IN[connection.vendor]] if connection.vendor in FILL_IN else [])


def remove(connection):
    run_statements(connection, REMOVE.get(connection.vendor, []))
