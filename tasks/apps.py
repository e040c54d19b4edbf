from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Tasks")

    def ready(self):
        post_migrate.connect(keep_copies, sender=self)


def keep_copies(using, **kwargs):
    """The triggers that copy a task's campaign and deadline onto its parts (`tasks.copies`),
    installed again after every migrate, once the parts have the columns they fill."""
    from django.db import connections

    from . import copies

    connection = connections[using]
    with connection.cursor() as cursor:
        if "tasks_taskpart" not in connection.introspection.table_names(cursor):
            return
        columns = connection.introspection.get_table_description(cursor, "tasks_taskpart")
    if "task_deadline" in {column.name for column in columns}:
        copies.install(connection)
