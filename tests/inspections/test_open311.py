"""Open311 GeoReport v2 under /open311/v2/: the documents match the spec's examples (element
names and types, XML and JSON), keys are refused and audited, GET never shows the reporter."""

import datetime
import io
import json
import re
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEntry
from inspections import open311
from inspections.models import Finding, FindingCategory, Open311Key, Source, Status
from inspections.services import issue_open311_key, revoke_open311_key, submit_citizen_report

from .conftest import make_photo

pytestmark = pytest.mark.django_db

# The spec's example documents (wiki.open311.org/GeoReport_v2), values shortened.
SPEC_SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services><service><service_code>001</service_code><service_name>Cans left out 24x7</service_name>
<description>Garbage or recycling cans that have been left out.</description><metadata>true</metadata>
<type>realtime</type><keywords>lorem, ipsum, dolor</keywords><group>sanitation</group></service></services>"""
SPEC_SERVICES_JSON = """[{"service_code":"001","service_name":"Cans left out 24x7",
"description":"Garbage or recycling cans that have been left out.","metadata":true,"type":"realtime",
"keywords":"lorem, ipsum, dolor","group":"sanitation"}]"""
SPEC_DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code>DMV66</service_code><attributes/></service_definition>"""
SPEC_REQUESTS_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>638344</service_request_id><status>closed</status>
<status_notes>Duplicate request.</status_notes><service_name>Sidewalk and Curb Issues</service_name>
<service_code>006</service_code><description></description><agency_responsible></agency_responsible>
<service_notice></service_notice><requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
<updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>
<expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime><address>8TH AVE and JUDAH ST</address>
<address_id>545483</address_id><zipcode>94122</zipcode><lat>37.762221815</lat><long>-122.4651145</long>
<media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url></request>
</service_requests>"""
SPEC_REQUESTS_JSON = """[{"service_request_id":638344,"status":"closed","status_notes":"Duplicate request.",
"service_name":"Sidewalk and Curb Issues","service_code":"006","description":null,
"agency_responsible":null,"service_notice":null,"requested_datetime":"2010-04-14T06:37:38-08:00",
"updated_datetime":"2010-04-14T06:37:38-08:00","expected_datetime":"2010-04-15T06:37:38-08:00",
"address":"8TH AVE and JUDAH ST","address_id":545483,"zipcode":94122,"lat":37.762221815,
"long":-122.4651145,"media_url":"http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}]"""
SPEC_POSTED_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>293944</service_request_id>
<service_notice>The City will inspect.</service_notice><account_id/></request></service_requests>"""
SPEC_POSTED_JSON = """[{"service_request_id":293944,"service_notice":"The City will inspect.",
"account_id":null}]"""
SPEC_ERRORS_XML = """<?xml version="1.0" encoding="utf-8"?>
<errors><error><code>403</code><description>Invalid api_key received</description></error></errors>"""
SPEC_ERRORS_JSON = """[{"code":403,"description":"Invalid api_key received"}]"""
SPEC_DISCOVERY_XML = """<?xml version="1.0" encoding="utf-8"?>
<discovery><changeset>2011-04-05T17:48:34Z</changeset><contact>api@yourcity.net</contact>
<key_service>You can request a key here</key_service><endpoints><endpoint>
<specification>http://wiki.open311.org/GeoReport_v2</specification><url>http://open311.sfgov.org/dev/v2</url>
<changeset>2010-11-23T09:00:00Z</changeset><type>test</type><formats><format>text/xml</format>
<format>application/json</format></formats></endpoint></endpoints></discovery>"""
W3C_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
REPORTER = {
    "first_name": "小明",
    "last_name": "王",
    "phone": "13912345678",
    "email": "wxm@example.cn",
}


def shape(element):
    """An XML element's structure: its tag and its children's shapes (text left out)."""
    return (element.tag, [shape(child) for child in element])


def xml_of(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(response.content)


def json_of(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def url(name, fmt, code=None, **query):
    kwargs = {"fmt": fmt} if code is None else {"fmt": fmt, "code": code}
    path = reverse(f"open311:{name}", kwargs=kwargs)
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def api_key(campaign):
    return issue_open311_key(campaign=campaign, name="12345热线", actor=None)[1]


@pytest.fixture
def reported(campaign, category):
    """A citizen's report with a before-photo, the reporter's name, phone and e-mail."""
    return submit_citizen_report(
        campaign=campaign,
        category=category,
        description="东华路口流动摊点占道经营",
        address="东华路1号",
        photos=[make_photo("before.jpg")],
        latitude=30.123456,
        longitude=120.654321,
        name="王小明",
        phone=REPORTER["phone"],
        email=REPORTER["email"],
    )


def post(client, fmt, api_key, **values):
    data = {"api_key": api_key, "lat": "30.1", "long": "120.2", **values}
    return client.post(url("request_list", fmt), data)


# --- The documents match the spec's examples ------------------------------------------------


def test_services_have_the_spec_element_names_and_types(campaign, category):
    response = Client().get(url("service_list", "xml"))
    root = xml_of(response)
    spec = ElementTree.fromstring(SPEC_SERVICES_XML.encode())
    assert root.tag == spec.tag
    assert all(shape(service) == shape(spec[0]) for service in root) and len(root) >= 1
    ours = root.find(f"service[service_code='{category.pk}']")
    assert ours.findtext("service_name") == "占道经营" and ours.findtext("metadata") == "false"
    services = json_of(Client().get(url("service_list", "json")))
    example = json.loads(SPEC_SERVICES_JSON)[0]
    for service in services:
        assert list(service) == list(example)
        assert {k: type(v) for k, v in service.items()} == {k: type(v) for k, v in example.items()}


def test_a_service_definition_has_the_spec_element_names(campaign, category):
    root = xml_of(Client().get(url("service_definition", "xml", category.pk)))
    assert shape(root) == shape(ElementTree.fromstring(SPEC_DEFINITION_XML.encode()))
    assert root.findtext("service_code") == str(category.pk)
    assert json_of(Client().get(url("service_definition", "json", category.pk))) == {
        "service_code": str(category.pk),
        "attributes": [],
    }
    missing = Client().get(url("service_definition", "json", "999999"))
    assert missing.status_code == 404 and list(json_of(missing)[0]) == ["code", "description"]


def test_requests_have_the_spec_element_names_and_types(campaign, reported):
    root = xml_of(Client().get(url("request_list", "xml")))
    spec = ElementTree.fromstring(SPEC_REQUESTS_XML.encode())
    assert shape(root) == shape(spec)
    request = root.find("request")
    assert request.findtext("service_request_id") == reported.code
    assert request.findtext("status") == "open"
    assert request.findtext("status_notes") == str(reported.public_status_note)
    assert W3C_WITH_OFFSET.match(request.findtext("requested_datetime"))
    assert request.findtext("requested_datetime").endswith("+08:00")
    assert (request.findtext("lat"), request.findtext("long")) == ("30.123456", "120.654321")

    (document,) = json_of(Client().get(url("request_list", "json")))
    example = json.loads(SPEC_REQUESTS_JSON)[0]
    assert list(document) == list(example)
    assert isinstance(document["lat"], float) and isinstance(document["long"], float)
    assert document["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime"):
        assert W3C_WITH_OFFSET.match(document[name]), document[name]
    assert json_of(Client().get(url("request_detail", "json", reported.code))) == [document]


def test_discovery_and_errors_have_the_spec_element_names(campaign):
    root = xml_of(Client().get(url("discovery", "xml")))
    spec = ElementTree.fromstring(SPEC_DISCOVERY_XML.encode())
    assert {e.tag for e in root} >= {e.tag for e in spec}
    assert shape(root.find("endpoints")) == shape(spec.find("endpoints"))
    errors = Client().get(url("request_detail", "xml", "2026-99999"))
    assert errors.status_code == 404
    assert shape(xml_of(errors)) == shape(ElementTree.fromstring(SPEC_ERRORS_XML.encode()))
    assert list(json_of(Client().get(url("request_detail", "json", "x")))[0]) == list(
        json.loads(SPEC_ERRORS_JSON)[0]
    )


def test_a_post_answers_the_spec_document_and_lands_in_the_triage_inbox(
    campaign, category, api_key, personas, client_for
):
    response = post(Client(), "xml", api_key, service_code=category.pk, description="井盖缺失")
    assert response.status_code == 201
    assert shape(xml_of(response)) == shape(ElementTree.fromstring(SPEC_POSTED_XML.encode()))
    code = xml_of(response).findtext("request/service_request_id")
    finding = Finding.objects.by_codes([code]).get()
    assert (finding.status, finding.source, finding.channel, finding.category) == (
        Status.REGISTERED,
        Source.CITIZEN,
        "12345热线",
        category,
    )
    response = post(Client(), "json", api_key, service_code=category.pk, address_string="建设街8号")
    assert list(json_of(response)[0]) == list(json.loads(SPEC_POSTED_JSON)[0])
    inbox = client_for(personas.office_admin).get(reverse("inspections:finding_inbox"))
    triage = {key: items for key, _t, items in inbox.context["sections"]}["triage"]
    assert len(triage) == 2
    assert inbox.content.decode().count("经 12345热线") == 2  # the source shown in triage
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.CREATE,
        object_type="inspections.finding",
        object_id=str(finding.pk),
    ).exists()


def test_a_post_without_a_location_or_with_a_wrong_service_is_refused_with_400(
    campaign, category, api_key
):
    no_place = post(Client(), "json", api_key, service_code=category.pk, lat="", long="")
    assert no_place.status_code == 400 and "address_string" in json_of(no_place)[0]["description"]
    wrong = post(Client(), "json", api_key, service_code="999999")
    assert wrong.status_code == 400
    assert not Finding.objects.exists()


# --- Keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_invalid_key_is_refused_with_403_and_audited(campaign, category, fmt):
    response = post(Client(), fmt, "not-a-key", service_code=category.pk)
    assert response.status_code == 403
    document = xml_of(response) if fmt == "xml" else json_of(response)
    code = document.findtext("error/code") if fmt == "xml" else str(document[0]["code"])
    assert code == "403"
    assert not Finding.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DENIED)
    assert entry.outcome == AuditEntry.Outcome.DENIED and "Open311" in entry.summary


def test_a_revoked_key_is_refused_with_403_and_audited(campaign, category, api_key):
    assert post(Client(), "json", api_key, service_code=category.pk).status_code == 201
    revoke_open311_key(key=Open311Key.objects.get(), actor=None)
    response = post(Client(), "json", api_key, service_code=category.pk)
    assert response.status_code == 403 and json_of(response)[0]["code"] == 403
    assert Finding.objects.count() == 1
    assert (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.DENIED, outcome=AuditEntry.Outcome.DENIED
        ).count()
        == 1
    )


def test_a_key_of_another_jurisdiction_is_refused(campaign, category, api_key):
    response = post(
        Client(), "json", api_key, service_code=category.pk, jurisdiction_id=campaign.pk + 1
    )
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DENIED).count() == 1


def test_posts_are_rate_limited_per_key(campaign, category, api_key, monkeypatch):
    monkeypatch.setattr(open311, "POSTS_PER_HOUR", 2)
    codes = [
        post(Client(), "json", api_key, service_code=category.pk).status_code for _ in range(3)
    ]
    assert codes == [201, 201, 429]
    assert Finding.objects.count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DENIED).count() == 1


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_reads_are_rate_limited_per_address(campaign, reported, settings, fmt):
    """Every GET counts against the address (OPEN311_GETS_PER_HOUR), whatever it reads; past
    the limit the answer is 429 in Open311's error document, another address still reads."""
    settings.OPEN311_GETS_PER_HOUR = 3
    client = Client(REMOTE_ADDR="203.0.113.7")
    reads = [
        url("discovery", fmt),
        url("service_list", fmt),
        url("request_detail", fmt, code=reported.code),
    ]
    assert [client.get(u).status_code for u in reads] == [200, 200, 200]
    refused = client.get(url("request_list", fmt))
    assert refused.status_code == 429
    if fmt == "json":
        (error,) = json_of(refused)
        code, description = str(error["code"]), error["description"]
    else:
        (error,) = xml_of(refused)
        code, description = error.findtext("code"), error.findtext("description")
    assert code == "429" and description == "来自该地址的请求过多，请稍后再试。"
    # The photos too (media_url): counted and refused with the rest.
    photo = reported.photos.get()
    assert client.get(reverse("open311:media", args=[photo.pk])).status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.8").get(url("request_list", fmt)).status_code == 200


def test_a_session_is_no_key(campaign, category, api_key, personas, client_for):
    """No session authentication: the office's own signed-in browser still needs a key, and
    the API POST is the one view that takes no CSRF token."""
    client = client_for(personas.office_admin)
    client.handler.enforce_csrf_checks = True
    refused = post(client, "json", "", service_code=category.pk)
    assert refused.status_code == 403 and json_of(refused)[0]["code"] == 403  # ours, not CSRF's
    assert post(client, "json", api_key, service_code=category.pk).status_code == 201
    assert Finding.objects.get().created_by is None


def test_the_command_prints_the_key_alone_on_its_last_line_and_stores_only_a_hash(campaign):
    out = io.StringIO()
    call_command("open311_key", "--campaign", str(campaign.pk), "数字城管", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    row = Open311Key.objects.get()
    assert row.name == "数字城管" and Open311Key.find(key) == row
    assert key not in {row.key_hash, row.prefix} and len(key) >= 40
    assert AuditEntry.objects.filter(object_type="inspections.open311key").count() == 1


def test_the_office_issues_and_revokes_keys_on_a_page(campaign, personas, client_for):
    office = client_for(personas.office_admin)
    page = reverse("inspections:open311_key_list")
    response = office.post(page, {"name": "12345热线"})
    key = response.context["issued"][1]
    assert key in response.content.decode() and Open311Key.find(key) is not None
    assert key not in office.get(page).content.decode()  # shown once
    row = Open311Key.objects.get()
    office.post(reverse("inspections:open311_key_revoke", args=[row.pk]))
    assert Open311Key.find(key) is None
    assert client_for(personas.inspector).get(page).status_code == 403
    revoke = reverse("inspections:open311_key_revoke", args=[row.pk])
    assert client_for(personas.inspector).post(revoke).status_code == 403


# --- What GET shows -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_get_never_returns_the_reporters_identity(campaign, category, api_key, reported, fmt):
    post(Client(), fmt, api_key, service_code=category.pk, **REPORTER)
    for response in (
        Client().get(url("request_list", fmt, extensions="true")),
        Client().get(url("request_detail", fmt, reported.code, extensions="true")),
    ):
        body = response.content.decode("utf-8")
        assert reported.code in body or "service_request_id" in body
        for value in ["王小明", *REPORTER.values()]:
            assert value not in body


def test_undercover_findings_and_private_photos_are_never_shown(
    campaign, reported, make_finding, personas, photo
):
    hidden = make_finding("registered", source=Source.UNDERCOVER, description="暗访：夜市占道")
    mock = make_finding("registered", source=Source.MOCK)
    documents = json_of(Client().get(url("request_list", "json")))
    assert [d["service_request_id"] for d in documents] == [reported.code]
    assert documents[0]["media_url"] == ""  # the before-photo is not public
    for finding in (hidden, mock):
        assert Client().get(url("request_detail", "json", finding.code)).status_code == 404
    before = reported.photos.get()
    assert Client().get(reverse("open311:media", args=[before.pk])).status_code == 404


def test_the_after_photo_is_the_media_url_and_the_status_closes(campaign, make_finding, personas):
    finding = make_finding("closed")
    (document,) = json_of(Client().get(url("request_list", "json", extensions="true")))
    assert document["status"] == "closed"
    assert document["extended_attributes"]["detailed_status"] == Status.CLOSED
    after = finding.photos.get(kind="after")
    assert document["media_url"].endswith(reverse("open311:media", args=[after.pk]))
    response = Client().get(document["media_url"])
    assert response.status_code == 200 and b"".join(response)[:2] == b"\xff\xd8"


def test_requests_filter_by_id_code_status_and_dates(campaign, make_finding, category):
    other = FindingCategory.objects.create(campaign=campaign, name="乱贴乱画")
    open_one = make_finding("assigned")
    closed = make_finding("closed", category=other)
    old = make_finding("registered")
    Finding.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=91)
    )

    def ids(**query):
        documents = json_of(Client().get(url("request_list", "json", **query)))
        return {d["service_request_id"] for d in documents}

    assert ids() == {open_one.code, closed.code}  # the latest 90 days by default
    assert ids(status="open") == {open_one.code}
    assert ids(status="closed") == {closed.code}
    assert ids(service_code=other.pk) == {closed.code}
    assert ids(service_request_id=f"{old.code},{closed.code}") == {old.code, closed.code}
    start = (timezone.localdate() - datetime.timedelta(days=100)).isoformat()
    end = (timezone.localdate() - datetime.timedelta(days=20)).isoformat()
    assert ids(start_date=start, end_date=end) == {old.code}
    too_long = Client().get(
        url("request_list", "json", start_date="2026-01-01T00:00:00%2B08:00", end_date="2026-06-01")
    )
    assert too_long.status_code == 400
    assert Client().get(url("request_list", "json", status="pending")).status_code == 400


def test_requests_return_at_most_the_limit_newest_first(campaign, make_finding, monkeypatch):
    monkeypatch.setattr(open311, "MAX_REQUESTS", 2)
    made = [make_finding("registered") for _ in range(3)]
    documents = json_of(Client().get(url("request_list", "json")))
    assert [d["service_request_id"] for d in documents] == [made[2].code, made[1].code]


def test_hostile_parameters_answer_an_open311_error_never_a_500(campaign, category, api_key):
    client = Client()
    client.raise_request_exception = False
    failures = []
    for value in ["²", "１２", "2026-²", "9" * 30, "2026-" + "9" * 30]:
        for name in [
            "jurisdiction_id",
            "service_request_id",
            "service_code",
            "start_date",
            "status",
        ]:
            response = client.get(url("request_list", "json"), {name: value})
            if response.status_code >= 500:
                failures.append((name, value))
        for target in (
            url("request_detail", "xml", value),
            url("service_definition", "json", value),
        ):
            if client.get(target).status_code >= 500:
                failures.append((target, value))
        posted = post(client, "json", api_key, service_code=value, lat=value, long=value)
        if posted.status_code >= 500:
            failures.append(("post", value))
    assert failures == []


def test_the_request_list_reads_a_constant_number_of_queries(campaign, make_finding):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url("request_list", "json")).status_code == 200
        return len(queries)

    count()  # the first read opens the address's rate-limit counter: one query more
    make_finding("closed")
    make_finding("registered")
    few = count()
    for _ in range(5):
        make_finding("closed")
    assert count() == few


def test_the_office_marks_a_photo_public_or_private_on_the_finding_page(
    campaign, make_finding, personas, client_for
):
    """公开/不公开 per photo: office only (others who see the finding 403, others 404),
    idempotent (posting the state it has changes nothing), audited, read by Open311."""
    finding = make_finding("closed")
    before, after = finding.photos.get(kind="before"), finding.photos.get(kind="after")
    switch = reverse("inspections:photo_publicity", args=[before.pk])
    office = client_for(personas.office_admin)
    page = office.get(finding.get_absolute_url()).content.decode()
    assert switch in page and reverse("inspections:photo_publicity", args=[after.pk]) in page
    assert (
        switch
        not in client_for(personas.inspector).get(finding.get_absolute_url()).content.decode()
    )

    def media_urls():
        (document,) = json_of(Client().get(url("request_list", "json")))
        return document["media_url"]

    assert media_urls().endswith(reverse("open311:media", args=[after.pk]))
    assert Client().get(reverse("open311:media", args=[before.pk])).status_code == 404

    audited = AuditEntry.for_object(before)
    for _ in range(2):  # the second post finds it public already: nothing more is recorded
        response = office.post(switch, {"public": "public"})
        assert response.status_code == 302
        assert response.url == finding.get_absolute_url() + "#photos"
    before.refresh_from_db()
    assert before.is_public and audited.count() == 1
    assert audited.get().changes == {"is_public": [False, True]}
    assert Client().get(reverse("open311:media", args=[before.pk])).status_code == 200

    hide = reverse("inspections:photo_publicity", args=[after.pk])
    assert office.post(hide, {"public": "private"}).status_code == 302
    after.refresh_from_db()
    assert not after.is_public
    assert Client().get(reverse("open311:media", args=[after.pk])).status_code == 404
    assert media_urls().endswith(reverse("open311:media", args=[before.pk]))

    # Who may not: 403 for a person who sees the finding, 404 for one who does not; a wrong
    # value changes nothing; GET is refused.
    assert client_for(personas.inspector).post(hide, {"public": "public"}).status_code == 403
    assert (
        client_for(personas.other_district_leader).post(hide, {"public": "public"}).status_code
        == 404
    )
    assert office.post(hide, {"public": "yes"}).status_code == 400
    assert office.get(hide).status_code == 405
    after.refresh_from_db()
    assert not after.is_public
