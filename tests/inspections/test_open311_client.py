"""A standard Open311 GeoReport v2 client from the package index (`three` 0.8.0, not written
here) talks to our API over HTTP: lists services, posts a request with an API key, reads it
back with its status — and sees it closed once the finding is closed off (销号)."""

import itertools

import pytest

from campaign.models import Unit
from inspections.models import Finding, Status
from inspections.services import issue_open311_key

from .conftest import make_photo

# `three` was written for Python 2 and imports itertools.ifilter; Python 3's filter is the
# same function. Nothing else of the library is changed.
itertools.ifilter = filter
import three  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_server, campaign):
    """The library, pointed at the live server's endpoint, with an office-issued key."""
    key = issue_open311_key(campaign=campaign, name="12345热线", actor=None)[1]
    return three.Three(f"{live_server.url}/open311/v2/", api_key=key, jurisdiction=str(campaign.pk))


def test_a_standard_client_lists_services_posts_and_reads_back_the_status(
    client, campaign, category, personas, city
):
    services = client.services()
    assert {s["service_name"]: s["service_code"] for s in services}["占道经营"] == str(category.pk)
    assert client.services(str(category.pk)) == {"service_code": str(category.pk), "attributes": []}

    posted = client.post(
        str(category.pk),
        lat="30.123456",
        long="120.654321",
        description="建设街与人民路口流动摊点占道经营",
        first_name="小明",
        last_name="王",
        phone="13912345678",
    )
    assert client.post_response.status_code == 201
    code = posted[0]["service_request_id"]

    (request,) = client.request(code)
    assert (request["status"], request["service_code"]) == ("open", str(category.pk))
    assert "13912345678" not in str(request) and "小明" not in str(request)
    assert [r["service_request_id"] for r in client.requests(status="open")] == [code]

    # The office hands it over, the unit rectifies with an after-photo, an inspector closes it.
    finding = Finding.objects.by_codes([code]).get()
    finding.assign(actor=personas.office_admin, unit=Unit.objects.get(name="东华街道"))
    finding.acknowledge(actor=personas.street_liaison)
    finding.submit_rectification(
        actor=personas.street_liaison, measures="已劝离", photos=[make_photo("after.jpg")]
    )
    finding.verify(actor=personas.inspector, passed=True, note="整改到位")
    assert Finding.objects.get(pk=finding.pk).status == Status.CLOSED

    (request,) = client.request(code, extensions="true")
    assert request["status"] == "closed"
    assert request["extended_attributes"]["detailed_status"] == Status.CLOSED
    assert request["media_url"].startswith(client.endpoint)
    assert [r["service_request_id"] for r in client.requests(status="closed")] == [code]


def test_the_client_is_refused_with_a_wrong_key(client, category):
    client.configure(api_key="wrong")
    refused = client.post(str(category.pk), lat="30.1", long="120.2")
    assert client.post_response.status_code == 403 and refused[0]["code"] == 403
    assert not Finding.objects.exists()
