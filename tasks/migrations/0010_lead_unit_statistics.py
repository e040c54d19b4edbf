"""Finer statistics of a task's lead unit on PostgreSQL.

Lead units are few (districts and departments, about 150 of a city's 900 units) and the
default statistics keep the hundred commonest. A district's scope lists its ninety units,
most of which lead nothing; the planner took each to lead as many tasks as the average
unit outside its list and expected half the city's tasks, so it read all 10,000 to find a
district's 671 (1 ms, three times a task list). With room for every unit in the statistics,
it knows a street leads none and reads the 671 through the lead unit's index. The target
is used from the table's next ANALYZE (autovacuum's, or the end of bench/generate.py).
"""

from django.db import migrations

TARGET = 1000  # above any city's number of units


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE tasks_task ALTER COLUMN lead_unit_id SET STATISTICS {TARGET}"
        )


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tasks_task ALTER COLUMN lead_unit_id SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0009_owed_parts_indexes")]

    operations = [migrations.RunPython(finer, default)]
