"""Statements PostgreSQL plans once per connection, not once per page view (issue 13, scale).

A unit person's counts bar is one statement of six scans of the findings, a table of 25
indexes, seven of them partial: at city size PostgreSQL planned it in 5.3 ms and ran it in
1.8 ms, on every view of the ledger. Run prepared, with the person's units, the campaign
and the day as its parameters, it is one statement for every person of a kind (every
street's liaison, every district's leader), which after five plans made for the values
PostgreSQL runs with one generic plan (when it costs no more than they did), not planned
again while the connection lasts (`DB_CONN_MAX_AGE`): the street's counts 8.4 → 2.2 ms.
The office's counts (the tally summed, the overdue findings counted) are one statement for
every office and day in the same way.

Text parameters are written into the statement instead: in a count they are choices (a
status, a round's status), and the planner proves a partial index's condition
(`status IN (…open…)`) only from the values themselves. So this is for statements whose text
parameters are a few choices; free text (a search) would make a statement of each value.

Django's cursors bind every value in the client (psycopg's `ClientCursor`), which cannot
prepare; this cursor binds on the server. It is still the connection's cursor as Django
wraps it: its queries are logged (with their values written in) and counted like any other.
Prepared statements need a pooler that keeps them (PgBouncer 1.21+ with
`max_prepared_statements`, or session pooling); README's topology section says so.
"""

import functools
import re

from django.db import connections

PLACEHOLDER = re.compile(r"%%|%s")


def fetchall(using, sql, params, *, prepare=False):
    """The rows of `sql` (Django's `%s` placeholders) with `params`; with `prepare`, run as
    a statement PostgreSQL keeps prepared (another database runs it as any query)."""
    connection = connections[using]
    if not prepare or connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    psycopg_connection = connection.connection
    sql, params = _text_written_in(sql, params, psycopg_connection)
    # The connection's cursor, made of this class for once (Django's connections are per
    # thread): Django wraps it, logs it and runs its execute wrappers as for any cursor.
    factory = psycopg_connection.cursor_factory
    psycopg_connection.cursor_factory = _prepared_cursor()
    try:
        cursor = connection.cursor()
    finally:
        psycopg_connection.cursor_factory = factory
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@functools.cache
def _prepared_cursor():
    """Django's cursor binding on the server, which prepares every statement it runs."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, **options):
            super().execute(query, params, prepare=True, **options)
            # Django's query log reads the last query psycopg sent (`last_executed_query`),
            # which a prepared run leaves unset: it is given the statement with its values
            # written in, as Django's own cursors send theirs.
            self._query = _Logged(self.connection, query, params)
            return self

    return PreparedCursor


class _Logged:
    """A prepared run's query as Django's query log reads it, written out only when read."""

    def __init__(self, psycopg_connection, sql, params):
        self._sql = (psycopg_connection, sql, params)

    @functools.cached_property
    def query(self):
        from psycopg import ClientCursor

        psycopg_connection, sql, params = self._sql
        return ClientCursor(psycopg_connection).mogrify(sql, params).encode()


def _text_written_in(sql, params, psycopg_connection):
    """`sql` with its text parameters written in as quoted literals, and the others."""
    from psycopg import sql as psycopg_sql

    values, bound = iter(params), []

    def place(match):
        if match.group() == "%%":
            return "%%"
        value = next(values)
        if isinstance(value, str):
            literal = psycopg_sql.Literal(value).as_string(psycopg_connection)
            return literal.replace("%", "%%")
        bound.append(value)
        return "%s"

    return PLACEHOLDER.sub(place, sql), bound
