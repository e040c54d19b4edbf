"""The week's interviews (约谈) are listed in the bulletin, on the page and in the PDF."""

import io

import pypdf
import pytest

from campaign.outbox import relay
from inspections.models import SupervisionLevel
from inspections.services import interviews_between
from reports.bulletins import make_bulletin

from .conftest import WEEK, at, day, make_finding

pytestmark = pytest.mark.django_db


def interview(finding, office, *, on, who):
    for level in (SupervisionLevel.NORMAL, SupervisionLevel.LISTED):
        finding.supervise(actor=office, level=level)
    finding.refresh_from_db()
    return finding.record_interview(
        actor=office,
        interviewees=who,
        conducted_by="王晓燕",
        held_at=at(on),
        outcome="承诺限期整改",
    )


def test_the_weeks_interviews_are_in_the_bulletin_and_others_are_not(
    city, personas, bulletin_settings
):
    c = city.campaign
    this_week = make_finding(c, city.donghua, found_on=day(-20), deadline=day(-10))
    last_week = make_finding(c, city.xiguan, found_on=day(-20), deadline=day(-10))
    interview(this_week, personas.office_admin, on=day(3), who="东华街道主任李明")
    interview(last_week, personas.office_admin, on=day(-3), who="西关街道主任赵强")

    listed = interviews_between(campaign=c, start=day(0), end=day(6))
    assert [(i["code"], i["unit"], i["interviewees"]) for i in listed] == [
        (this_week.code, "东华街道", "东华街道主任李明")
    ]

    bulletin, _ = make_bulletin(campaign=c, period=WEEK)
    assert bulletin.data["interviews"] == listed
    relay()
    bulletin.refresh_from_db()
    with bulletin.pdf.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    assert "本周约谈" in text and "东华街道主任李明" in text and "承诺限期整改" in text
    assert "西关街道主任赵强" not in text
