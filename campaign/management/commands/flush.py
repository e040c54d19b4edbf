"""`flush` wipes the whole database (tests between transactional cases, a developer's reset):
the audit log's append-only trigger is lifted for the wipe and put back after it."""

from django.core.management.commands import flush
from django.db import connections

from campaign.db_guards import install_audit_guard, remove_audit_guard


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        remove_audit_guard(connection)
        try:
            return super().handle(**options)
        finally:
            install_audit_guard(connection)
