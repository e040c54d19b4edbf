"""A page links only to what the person may open (issue 12, defect 6).

One rule decides both: the view's `page_rule` (or the object's `visible_to`) answers 403/404,
and the `may_open`/`visible` template filters ask the same rule before drawing the link. This
walk opens every link of the main pages as each persona and expects none of them to refuse.
"""

import datetime
import re
from decimal import Decimal

import pytest

from campaign.models import CommandOffice, EvaluationSystem, IndicatorNode, Standard
from tasks.models import Task
from tests.conftest import MAIN_PAGES

pytestmark = pytest.mark.django_db

# Links that are not pages: sign-out and language are POST forms, downloads are exports.
NOT_PAGES = ("/logout/", "/i18n/", "/export/", "/static/", "/media/")


@pytest.fixture
def standards(city):
    """A standard shared by 东华街道, led by a command office 东华街道 does not work with."""
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    item = IndicatorNode.objects.create(system=system, level=0, name="公共环境")
    other_office = CommandOffice.objects.create(campaign=city.campaign, name="文明素质指挥部")
    standard = Standard.objects.create(
        system=system,
        node=item,
        code="1.1",
        text="背街小巷干净整洁",
        points=Decimal("2"),
        lead_command_office=other_office,
        lead_unit=city.donghua,
    )
    Task.objects.create(
        campaign=city.campaign,
        title="背街小巷整治",
        lead_unit=city.donghua,
        command_office=city.command_office,
        standard=standard,
        item=item,
        deadline=datetime.date(2026, 12, 1),
    )
    return standard


def links(html):
    for href in re.findall(r'<a [^>]*href="(/[^"#]*)"', html):
        if not href.startswith(NOT_PAGES):
            yield href.replace("&amp;", "&")


@pytest.mark.parametrize(
    "persona", ["leader", "command_staff", "street_liaison", "district_leader", "inspector"]
)
def test_every_link_on_the_main_pages_opens(persona, personas, standards, client_for):
    client = client_for(getattr(personas, persona))
    pages = [*MAIN_PAGES, standards.get_absolute_url()]
    refused = {}
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            continue  # a page the person may not open is checked by its own link here
        for href in set(links(response.content.decode())):
            status = client.get(href).status_code
            if status in (403, 404):
                refused[href] = (page, status)
    assert refused == {}
