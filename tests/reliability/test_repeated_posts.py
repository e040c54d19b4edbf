"""A form posted twice (double click, retry after an error, a flaky phone network) makes one
row; the repeat gets the first result back instead of an error or a second row."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from inspections.models import Finding, FindingEvent
from tasks.models import ProgressUpdate
from tests.inspections.conftest import make_photo
from tests.inspections.test_pages import entry
from tests.tasks.conftest import make_task

pytestmark = pytest.mark.django_db


def post_twice(client, url, data_for):
    """Post the same page twice; each post gets fresh file objects, as a browser sends them."""
    first = client.post(url, data_for())
    list(get_messages(first.wsgi_request))
    second = client.post(url, data_for())
    levels = [m.level_tag for m in get_messages(second.wsgi_request)]
    return first, second, levels


def test_logging_a_finding_twice_makes_one_finding(personas, city, category, client_for):
    client = client_for(personas.inspector)
    url = reverse("inspections:finding_create")
    token = client.get(url).context["form"]["form_token"].value()
    first, second, levels = post_twice(
        client,
        url,
        lambda: {**entry(category, city), "form_token": token},
    )
    finding = Finding.objects.get()
    assert first["Location"] == second["Location"] == finding.get_absolute_url()
    assert finding.photos.count() == 1 and "error" not in levels


def test_a_citizen_report_sent_twice_makes_one_finding(campaign):
    client = Client()
    url = reverse("inspections:citizen_report_for", args=[campaign.pk])
    token = client.get(url).context["form"]["form_token"].value()
    first, second, _levels = post_twice(
        client,
        url,
        lambda: {
            "description": "小区门口垃圾桶满溢",
            "address": "东华路12号",
            "photo": [make_photo("report.jpg")],
            "form_token": token,
        },
    )
    assert first.status_code == second.status_code == 200
    assert "inspections/citizen_report_done.html" in [t.name for t in second.templates]
    assert Finding.objects.count() == 1


def test_a_progress_report_sent_twice_is_recorded_once(city, personas, client_for):
    task = make_task(city, responsible=[city.donghua])
    client = client_for(personas.street_liaison)  # reports the street's own part
    part = task.parts.get(unit=city.donghua)
    token = client.get(task.get_absolute_url()).context["progress_form"]["form_token"].value()
    version = part.version
    first, second, levels = post_twice(
        client,
        reverse("tasks:part_progress", args=[part.pk]),
        lambda: {
            "text": "已完成排查摸底",
            "progress": 40,
            "version": version,
            "photos": [make_photo("progress.jpg")],
            "form_token": token,
        },
    )
    assert first.status_code == second.status_code == 302
    assert ProgressUpdate.objects.filter(task=task).count() == 1 and "error" not in levels
    part.refresh_from_db()
    assert part.progress == 40


def test_a_rectification_sent_twice_is_recorded_once(make_finding, personas, client_for):
    finding = make_finding("rectifying")
    client = client_for(personas.street_liaison)
    form = client.get(finding.get_absolute_url()).context["forms"]["submit"]
    token, version = form["form_token"].value(), form["version"].value()
    first, second, levels = post_twice(
        client,
        reverse("inspections:finding_submit", args=[finding.pk]),
        lambda: {
            "measures": "已劝离摊点并安排专人巡查",
            "photos": [make_photo("after.jpg")],
            "version": version,
            "form_token": token,
        },
    )
    assert first.status_code == second.status_code == 302
    assert "error" not in levels
    submitted = FindingEvent.objects.filter(finding=finding, to_status="awaiting")
    assert submitted.count() == 1
    assert finding.photos.filter(kind="after").count() == 1


def test_a_token_belongs_to_the_person_who_posted_it(make_finding, personas, client_for):
    finding = make_finding("rectifying")
    form = client_for(personas.street_liaison).get(finding.get_absolute_url())
    token = form.context["forms"]["submit"]["form_token"].value()
    url = reverse("inspections:finding_submit", args=[finding.pk])

    def data():
        photos = [make_photo("after.jpg")]
        return {
            "measures": "已整改",
            "version": finding.version,
            "form_token": token,
            "photos": photos,
        }

    assert client_for(personas.street_liaison).post(url, data()).status_code == 302
    assert client_for(personas.street_leader).post(url, data()).status_code == 403
