"""约谈: after repeated supervision the office records an interview with the unit's leaders;
refused before the campaign's threshold, recorded in the finding's history, audited."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from campaign.models import AuditEntry
from campaign.transitions import DomainError
from inspections.models import FindingEvent, Interview, LedgerSettings, SupervisionLevel

from .conftest import make_photo

pytestmark = pytest.mark.django_db

HELD_AT = datetime.datetime(2026, 3, 12, 15, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def form(finding, **extra):
    data = {
        "version": finding.version,
        "interviewees": "东华街道党工委书记张秀英",
        "conducted_by": "市创建办副主任王晓燕",
        "held_at": "2026-03-12T15:00",
        "place": "市创建办第一会议室",
        "outcome": "承诺三日内清除占道摊点并建立长效巡查机制",
    }
    data.update(extra)
    return data


def supervise(finding, office, *levels):
    for level in levels:
        finding.supervise(actor=office, level=level)
        finding.refresh_from_db()


def record(finding, office, **extra):
    values = {
        "interviewees": "张秀英",
        "conducted_by": "王晓燕",
        "held_at": HELD_AT,
        "outcome": "承诺整改到位",
    }
    values.update(extra)
    return finding.record_interview(actor=office, **values)


def test_an_interview_is_refused_before_the_second_supervision_order_with_a_translated_reason(
    make_finding, personas
):
    finding = make_finding("rectifying")
    supervise(finding, personas.office_admin, SupervisionLevel.NORMAL)
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        record(finding, personas.office_admin)
    assert refused.value.message == "问题被督办2次后方可记录约谈，本问题目前已督办1次。"
    assert not Interview.objects.exists()
    assert not finding.events.filter(action=FindingEvent.Action.INTERVIEW).exists()


def test_the_office_posting_too_early_sees_the_reason_on_the_page_and_nothing_is_kept(
    make_finding, personas, client_for
):
    finding = make_finding("rectifying")
    supervise(finding, personas.office_admin, SupervisionLevel.NORMAL)
    client = client_for(personas.office_admin)
    url = reverse("inspections:finding_interview", args=[finding.pk])
    # The page offers no interview form yet.
    assert url not in client.get(finding.get_absolute_url()).content.decode()
    response = client.post(url, form(finding))
    assert response.status_code == 400
    assert "问题被督办2次后方可记录约谈" in response.content.decode()
    assert not Interview.objects.exists()


def test_after_the_second_order_the_office_records_an_interview_seen_in_the_history(
    make_finding, personas, client_for
):
    finding = make_finding("rectifying")
    supervise(finding, personas.office_admin, SupervisionLevel.NORMAL, SupervisionLevel.LISTED)
    client = client_for(personas.office_admin)
    url = reverse("inspections:finding_interview", args=[finding.pk])
    assert url in client.get(finding.get_absolute_url()).content.decode()
    record_file = make_photo("约谈记录.jpg")
    response = client.post(url, form(finding, attachment=record_file))
    assert response.status_code == 302
    interview = Interview.objects.get()
    assert (interview.unit, interview.held_at, interview.recorded_by) == (
        finding.unit,
        HELD_AT,
        personas.office_admin,
    )
    event = finding.events.get(action=FindingEvent.Action.INTERVIEW)
    assert event.data["interview"] == interview.pk
    assert event.from_status == event.to_status == "rectifying"
    finding.refresh_from_db()
    assert finding.version == event.finding.version and finding.status == "rectifying"
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.CREATE, object_id=str(interview.pk)
    ).exists()
    # The unit sees the step in the finding's history, and the record.
    html = client_for(personas.street_leader).get(finding.get_absolute_url()).content.decode()
    assert "约谈" in html and "承诺三日内清除占道摊点并建立长效巡查机制" in html
    attachment = reverse("inspections:interview_attachment", args=[interview.pk])
    assert attachment in html
    assert client_for(personas.street_leader).get(attachment).status_code == 200
    assert client_for(personas.other_district_leader).get(attachment).status_code == 404


def test_the_threshold_is_a_campaign_setting(make_finding, personas, campaign):
    LedgerSettings.objects.create(campaign=campaign, interview_after=1)
    finding = make_finding("assigned")
    with pytest.raises(DomainError):
        record(finding, personas.office_admin)
    supervise(finding, personas.office_admin, SupervisionLevel.KEY)
    assert record(finding, personas.office_admin).finding == finding


def test_only_the_office_records_interviews_and_a_stale_page_is_a_conflict(
    make_finding, personas, client_for
):
    finding = make_finding("rectifying")
    supervise(finding, personas.office_admin, SupervisionLevel.NORMAL, SupervisionLevel.LISTED)
    url = reverse("inspections:finding_interview", args=[finding.pk])
    assert client_for(personas.inspector).post(url, form(finding)).status_code == 403
    assert client_for(personas.other_district_leader).post(url, form(finding)).status_code == 404
    stale = form(finding, version=finding.version - 1)
    assert client_for(personas.office_admin).post(url, stale).status_code == 409
    with pytest.raises(DomainError):
        record(finding, personas.office_admin, outcome="  ")
    assert not Interview.objects.exists()
