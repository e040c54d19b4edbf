"""The bulletin archive reads the bulletin settings only for the office's make form, and keeps
them per campaign version (issue 13, scale): saving them changes the version."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import BulletinSettings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["office_admin", "street_liaison"])
def test_a_second_visit_does_not_read_the_bulletin_settings(personas, client_for, who):
    client = client_for(getattr(personas, who))
    client.get("/reports/bulletins/")  # warm the session and the kept settings
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/reports/bulletins/")
    assert response.status_code == 200
    assert not [q for q in queries if "reports_bulletinsettings" in q["sql"]]
    assert ('id="bulletin-create"' in response.content.decode()) == (who == "office_admin")


def test_saved_bulletin_settings_show_on_the_next_visit(personas, campaign, client_for):
    client = client_for(personas.office_admin)
    before = client.get("/reports/bulletins/").context["settings"].is_enabled

    item = BulletinSettings.for_campaign(campaign)
    item.is_enabled = not before
    item.save()
    after = client.get("/reports/bulletins/")
    assert after.context["settings"].is_enabled == item.is_enabled

    item.delete()
    assert client.get("/reports/bulletins/").context["settings"].pk is None
