"""The bulletin archive reads the bulletin settings once, and only for the office's make form."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.mark.parametrize(("who", "reads"), [("office_admin", 1), ("street_liaison", 0)])
def test_bulletin_settings_are_read_once_for_the_office_and_not_for_others(
    personas, client_for, who, reads
):
    client = client_for(getattr(personas, who))
    client.get("/reports/bulletins/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reports/bulletins/")
    assert response.status_code == 200
    settings_reads = [q for q in queries if "reports_bulletinsettings" in q["sql"]]
    assert len(settings_reads) == reads
    assert ('id="bulletin-create"' in response.content.decode()) == bool(reads)
