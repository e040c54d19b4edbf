"""Every move of the life cycle (DESIGN.md §5), allowed and forbidden, on the model methods."""

import datetime

import pytest

from campaign.models import Role
from campaign.transitions import DomainError
from inspections.models import (
    TRANSITIONS,
    Finding,
    FindingEvent,
    FindingPhoto,
    Status,
    SupervisionLevel,
)
from tests.conftest import make_person

from .conftest import make_photo

pytestmark = pytest.mark.django_db


def actions(finding):
    return list(finding.events.values_list("action", "from_status", "to_status"))


def test_logging_registers_a_finding_with_its_before_photo_and_a_first_event(make_finding):
    finding = make_finding("registered")
    assert finding.status == Status.REGISTERED
    assert finding.photos.get().kind == FindingPhoto.Kind.BEFORE
    assert actions(finding) == [("create", "", "registered")]


def test_the_whole_way_to_closed_leaves_one_event_per_step(make_finding):
    finding = make_finding("closed")
    assert finding.status == Status.CLOSED
    assert finding.closed_at is not None
    assert actions(finding) == [
        ("create", "", "registered"),
        ("assign", "registered", "assigned"),
        ("acknowledge", "assigned", "rectifying"),
        ("submit", "rectifying", "awaiting"),
        ("pass", "awaiting", "closed"),
    ]
    submit = finding.events.get(action="submit")
    assert submit.photos.get().kind == FindingPhoto.Kind.AFTER
    assert finding.version == 5


def test_assigning_without_a_deadline_counts_working_days_by_severity(make_finding, personas, city):
    finding = make_finding("registered")
    finding.assign(actor=personas.office_admin, unit=city.donghua)
    assert finding.deadline is not None and finding.deadline > datetime.date.today()


def test_a_unit_person_cannot_assign(make_finding, personas, city):
    finding = make_finding("registered")
    with pytest.raises(DomainError):
        finding.assign(actor=personas.street_leader, unit=city.donghua)
    finding.refresh_from_db()
    assert finding.status == Status.REGISTERED


def test_only_the_unit_or_one_above_acknowledges(make_finding, personas):
    finding = make_finding("assigned")
    for outsider in (personas.inspector, personas.other_district_leader, personas.community_leader):
        with pytest.raises(DomainError):
            finding.acknowledge(actor=outsider)
    finding.acknowledge(actor=personas.district_leader)  # 东城区 is above 东华街道
    assert finding.status == Status.RECTIFYING


def test_submitting_needs_measures_and_after_photos(make_finding, personas):
    finding = make_finding("rectifying")
    with pytest.raises(DomainError, match="照片"):
        finding.submit_rectification(actor=personas.street_liaison, measures="已整改", photos=[])
    with pytest.raises(DomainError):
        finding.submit_rectification(
            actor=personas.street_liaison, measures="  ", photos=[make_photo()]
        )
    finding.refresh_from_db()
    assert finding.status == Status.RECTIFYING
    assert not finding.photos.filter(kind=FindingPhoto.Kind.AFTER).exists()


def test_submitting_is_refused_before_the_unit_acknowledges(make_finding, personas):
    finding = make_finding("assigned")
    with pytest.raises(DomainError):
        finding.submit_rectification(
            actor=personas.street_liaison, measures="已整改", photos=[make_photo()]
        )


def test_verification_by_a_member_of_the_rectifying_unit_is_refused(make_finding, city, campaign):
    finding = make_finding("awaiting")
    # An inspector who is also the street's liaison (several roles are allowed).
    both = make_person(campaign, "both", Role.INSPECTOR)
    from campaign.models import Membership

    Membership.objects.create(
        person=both, campaign=campaign, role=Role.UNIT_LIAISON, unit=city.donghua
    )
    with pytest.raises(DomainError, match="不能复核本单位"):
        finding.verify(actor=both, passed=True)
    finding.refresh_from_db()
    assert finding.status == Status.AWAITING


def test_verification_by_someone_from_a_unit_above_or_below_is_refused_too(
    make_finding, city, campaign
):
    finding = make_finding("awaiting")
    from campaign.models import Membership

    district_inspector = make_person(campaign, "district_inspector", Role.INSPECTOR)
    Membership.objects.create(
        person=district_inspector, campaign=campaign, role=Role.UNIT_LEADER, unit=city.east
    )
    with pytest.raises(DomainError):
        finding.verify(actor=district_inspector, passed=True)


def test_unit_people_cannot_verify_at_all(make_finding, personas):
    finding = make_finding("awaiting")
    with pytest.raises(DomainError):
        finding.verify(actor=personas.other_district_leader, passed=True)


def test_closing_without_after_photos_is_refused(make_finding, personas):
    finding = make_finding("awaiting")
    # Even if the after-photos disappeared (e.g. removed by hand), closing is refused.
    FindingPhoto.objects.filter(finding=finding, kind=FindingPhoto.Kind.AFTER).update(
        kind=FindingPhoto.Kind.BEFORE
    )
    with pytest.raises(DomainError, match="照片"):
        finding.verify(actor=personas.inspector, passed=True)
    finding.refresh_from_db()
    assert finding.status == Status.AWAITING


def test_a_failed_verification_needs_a_reason_and_returns_it(make_finding, personas):
    finding = make_finding("awaiting")
    with pytest.raises(DomainError):
        finding.verify(actor=personas.inspector, passed=False, note="")
    finding.verify(actor=personas.office_admin, passed=False, note="摊点仍在")
    assert finding.status == Status.RETURNED
    assert finding.events.last().note == "摊点仍在"


def test_a_returned_finding_is_submitted_again_and_can_then_close(make_finding, personas):
    finding = make_finding("returned")
    finding.submit_rectification(
        actor=personas.street_liaison, measures="再次清理", photos=[make_photo()]
    )
    finding.verify(actor=personas.inspector, passed=True)
    assert finding.status == Status.CLOSED


def test_a_dispute_needs_a_reason_and_keeps_the_deadline(make_finding, personas):
    finding = make_finding("assigned")
    with pytest.raises(DomainError):
        finding.dispute(actor=personas.street_liaison, reason=" ")
    finding.dispute(actor=personas.street_liaison, reason="该点位属市城管局管辖")
    assert finding.status == Status.DISPUTED
    assert finding.deadline == datetime.date(2026, 3, 10)


def test_only_the_office_decides_a_dispute(make_finding, personas, city):
    finding = make_finding("disputed")
    with pytest.raises(DomainError):
        finding.decide_dispute(
            actor=personas.inspector, upheld=True, unit=city.chengguan, note="改派"
        )


def test_an_upheld_dispute_moves_the_finding_with_the_same_deadline(make_finding, personas, city):
    finding = make_finding("disputed")
    finding.decide_dispute(
        actor=personas.office_admin, upheld=True, unit=city.chengguan, note="属城管"
    )
    assert (finding.status, finding.unit) == (Status.ASSIGNED, city.chengguan)
    assert finding.deadline == datetime.date(2026, 3, 10)


def test_a_rejected_dispute_goes_back_to_where_it_was(make_finding, personas):
    finding = make_finding("disputed")  # disputed while rectifying
    finding.decide_dispute(actor=personas.office_admin, upheld=False, note="属地负责")
    assert finding.status == Status.RECTIFYING


def test_only_the_office_voids_and_only_with_a_reason(make_finding, personas):
    finding = make_finding("assigned")
    with pytest.raises(DomainError):
        finding.void(actor=personas.inspector, reason="录错")
    with pytest.raises(DomainError):
        finding.void(actor=personas.office_admin, reason="")
    finding.void(actor=personas.office_admin, reason="录错")
    assert finding.status == Status.VOIDED


@pytest.mark.parametrize("state", ["closed", "voided"])
def test_nothing_moves_a_closed_or_voided_finding(make_finding, personas, city, state):
    finding = make_finding(state)
    attempts = [
        lambda: finding.assign(actor=personas.office_admin, unit=city.donghua),
        lambda: finding.acknowledge(actor=personas.street_liaison),
        lambda: finding.verify(actor=personas.inspector, passed=True),
        lambda: finding.void(actor=personas.office_admin, reason="x"),
        lambda: finding.dispute(actor=personas.street_liaison, reason="x"),
        lambda: finding.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError):
            attempt()
    finding.refresh_from_db()
    assert finding.status == state


def test_supervision_raises_the_level_with_a_numbered_order_only_upwards(make_finding, personas):
    finding = make_finding("rectifying")
    first = finding.supervise(actor=personas.office_admin, level=SupervisionLevel.NORMAL)
    second = finding.supervise(actor=personas.office_admin, level=SupervisionLevel.KEY)
    assert finding.supervision_level == SupervisionLevel.KEY
    assert "1" in first.data["number"] and "2" in second.data["number"]
    assert first.data["number"] != second.data["number"]
    with pytest.raises(DomainError):
        finding.supervise(actor=personas.office_admin, level=SupervisionLevel.LISTED)
    with pytest.raises(DomainError):
        finding.supervise(actor=personas.inspector, level=SupervisionLevel.KEY)
    assert finding.supervision_orders.count() == 2
    assert finding.status == Status.RECTIFYING


def test_a_relapse_creates_a_new_linked_finding_for_the_same_unit(make_finding, personas):
    old = make_finding("closed")
    new = old.record_relapse(
        actor=personas.inspector, description="摊点又回来了", photos=[make_photo()]
    )
    old.refresh_from_db()
    assert old.status == Status.CLOSED
    assert (new.relapse_of, new.unit, new.status) == (old, old.unit, Status.ASSIGNED)
    assert new.deadline is not None
    assert old.events.last().action == FindingEvent.Action.RELAPSE
    assert old.events.last().data["new_finding"] == new.pk
    assert new.photos.count() == 1


def test_a_relapse_is_only_for_closed_findings_and_not_for_unit_people(make_finding, personas):
    with pytest.raises(DomainError):
        make_finding("awaiting").record_relapse(actor=personas.inspector, description="x")
    with pytest.raises(DomainError):
        make_finding("closed").record_relapse(actor=personas.street_leader, description="x")


def test_the_transition_map_has_no_way_out_of_closed_or_voided():
    assert TRANSITIONS[Status.CLOSED] == set() and TRANSITIONS[Status.VOIDED] == set()
    assert Status.CLOSED in TRANSITIONS[Status.AWAITING]
    # Only verification closes: no other state leads to closed.
    assert [s for s, targets in TRANSITIONS.items() if Status.CLOSED in targets] == [
        Status.AWAITING
    ]


def test_events_are_append_only(make_finding):
    event = make_finding("registered").events.get()
    event.note = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        FindingEvent.objects.all().delete()
    with pytest.raises(TypeError):
        FindingEvent.objects.update(note="x")


def test_a_stale_version_is_refused_and_nothing_is_overwritten(make_finding, personas):
    finding = make_finding("awaiting")
    stale = finding.version
    Finding.objects.get(pk=finding.pk).verify(
        actor=personas.inspector, passed=False, note="不合格", expected_version=stale
    )
    with pytest.raises(DomainError, match="刚刚"):
        finding.verify(actor=personas.office_admin, passed=True, expected_version=stale)
    finding.refresh_from_db()
    assert finding.status == Status.RETURNED
    assert finding.events.filter(action="pass").count() == 0
