"""Every reports URL × persona gets the status it must: 200, 403 (visible, not theirs to act
on) or 404 (out of scope)."""

import pytest
from django.urls import reverse

from campaign.outbox import relay
from reports.bulletins import make_bulletin

from .conftest import WEEK, day, make_finding

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, NOT_FOUND = 200, 403, 404
PERSONAS = [
    "office_admin",
    "leader",
    "inspector",
    "command_staff",
    "district_leader",
    "street_leader",
    "community_leader",
    "other_district_leader",
    "department_leader",
]


@pytest.fixture
def bulletins(city, bulletin_settings):
    make_finding(city.campaign, city.donghua1, found_on=day(1))
    published, _ = make_bulletin(campaign=city.campaign, period="2026-W44")
    published.publish(actor=None)
    draft, _ = make_bulletin(campaign=city.campaign, period=WEEK)
    relay()  # PDFs are rendered after commit
    return published, draft


def expected(name, persona):
    office = persona == "office_admin"
    return {
        "dashboard": OK,
        "ranking_list": OK,
        "ranking_export": OK,
        "scoringrule_edit": OK,
        "bulletin_list": OK,
        "bulletinsettings_edit": OK if office else FORBIDDEN,
        "published_detail": OK,
        "published_pdf": OK,
        "draft_detail": OK if office else NOT_FOUND,
        "draft_pdf": OK if office else NOT_FOUND,
        "published_docx": OK,
        "draft_docx": OK if office else NOT_FOUND,
        "missing_photo": NOT_FOUND,
    }[name]


def test_every_reports_url_answers_each_persona_as_it_must(personas, bulletins, client_for):
    # One setup for all personas: making the two bulletins' PDFs is the slow part.
    published, draft = bulletins
    urls = {
        "dashboard": reverse("reports:dashboard"),
        "ranking_list": reverse("reports:ranking_list"),
        "ranking_export": reverse("reports:ranking_export"),
        "scoringrule_edit": reverse("reports:scoringrule_edit"),
        "bulletin_list": reverse("reports:bulletin_list"),
        "bulletinsettings_edit": reverse("reports:bulletinsettings_edit"),
        "published_detail": reverse("reports:bulletin_detail", args=[published.pk]),
        "published_pdf": reverse("reports:bulletin_pdf", args=[published.pk]),
        "draft_detail": reverse("reports:bulletin_detail", args=[draft.pk]),
        "draft_pdf": reverse("reports:bulletin_pdf", args=[draft.pk]),
        "published_docx": reverse("reports:bulletin_docx", args=[published.pk]),
        "draft_docx": reverse("reports:bulletin_docx", args=[draft.pk]),
        "missing_photo": reverse("reports:bulletin_photo", args=[published.pk, 9, 0]),
    }
    wrong = {}
    for persona in PERSONAS:
        client = client_for(getattr(personas, persona))
        for name, url in urls.items():
            status = client.get(url).status_code
            if status != expected(name, persona):
                wrong[(persona, name)] = status
    assert wrong == {}


def test_anonymous_visitors_are_sent_to_sign_in(client, bulletins):
    for name in ("reports:dashboard", "reports:ranking_list", "reports:bulletin_list"):
        assert client.get(reverse(name)).status_code == 302
