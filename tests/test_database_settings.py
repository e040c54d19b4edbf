"""Connection settings the pages' speed depends on."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_postgresql_connections_never_jit_compile_a_query():
    """A page's query whose estimated cost crossed jit_above_cost spent 50-120 ms compiling."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
    else:
        assert "options" not in connection.settings_dict.get("OPTIONS", {})
