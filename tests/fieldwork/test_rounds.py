"""Sampling rounds: the seeded stratified draw, conflict-free inspectors, observations that
become findings, withheld until release, and the round report's 得分率."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from campaign.models import AuditEntry, Role
from campaign.transitions import DomainError
from fieldwork import rounds
from fieldwork.models import Observation, Rating, Round, RoundDraw
from inspections.models import Finding, Source
from inspections.models import Status as FindingStatus
from tests.conftest import make_person

M, B, F = Rating.MET, Rating.MOSTLY_MET, Rating.NOT_MET


@pytest.fixture
def new_round(city, personas, register):
    def make(quotas=None, *, inspectors=None, exclude_days=0, kind=Source.MOCK):
        quotas = quotas or [
            {"type": register.market.pk, "district": city.east.pk, "count": 2},
            {"type": register.market.pk, "district": city.west.pk, "count": 2},
            {"type": register.lane.pk, "district": city.east.pk, "count": 1},
            {"type": register.lane.pk, "district": city.west.pk, "count": 1},
        ]
        return rounds.create_round(
            campaign=city.campaign,
            actor=personas.office_admin,
            name="第一轮模拟测评",
            kind=kind,
            date=datetime.date(2026, 11, 20),
            quotas=quotas,
            exclude_days=exclude_days,
            inspectors=inspectors or [personas.inspector],
        )

    return make


def sampled(the_round):
    return [(s.point.name, s.district_id) for s in the_round.sampled_points.select_related("point")]


def test_the_same_seed_draws_the_same_stratified_sample(new_round, city, personas, register):
    first, second = new_round(), new_round()
    rounds.draw(first, actor=personas.office_admin, seed=20261120)
    rounds.draw(second, actor=personas.office_admin, seed=20261120)
    assert sampled(first) == sampled(second)
    strata = [
        (s.point.type_id, s.district_id) for s in first.sampled_points.select_related("point")
    ]
    assert strata.count((register.market.pk, city.east.pk)) == 2
    assert strata.count((register.market.pk, city.west.pk)) == 2
    assert strata.count((register.lane.pk, city.east.pk)) == 1
    assert strata.count((register.lane.pk, city.west.pk)) == 1
    assert first.seed == 20261120 and first.status == Round.Status.DRAWN


def test_a_redraw_needs_a_reason_and_both_draws_are_recorded(new_round, personas):
    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=1)
    with pytest.raises(DomainError):
        rounds.draw(the_round, actor=personas.office_admin, seed=2)
    rounds.draw(the_round, actor=personas.office_admin, seed=2, reason="一处市场停业装修")
    draws = list(RoundDraw.objects.filter(round=the_round))
    assert [(d.number, d.seed, d.reason) for d in draws] == [
        (1, 1, ""),
        (2, 2, "一处市场停业装修"),
    ]
    assert draws[1].points == [s.point_id for s in the_round.sampled_points.all()]
    entries = AuditEntry.objects.filter(object_type="fieldwork.round", object_id=str(the_round.pk))
    assert [entry.action for entry in entries.order_by("pk")] == ["create", "update", "update"]


def test_points_inspected_in_the_last_n_days_are_left_out(new_round, city, personas, register):
    recent = register.points["东城区农贸市场1"]
    Finding.objects.create(
        campaign=city.campaign, description="x", point=recent, found_on=datetime.date.today()
    )
    quota = [{"type": register.market.pk, "district": city.east.pk, "count": 2}]
    for seed in range(10):
        the_round = new_round(quota, exclude_days=30)
        rounds.draw(the_round, actor=personas.office_admin, seed=seed)
        assert recent.name not in [name for name, _d in sampled(the_round)]
    with pytest.raises(DomainError, match="农贸市场"):
        rounds.draw(
            new_round([{**quota[0], "count": 3}], exclude_days=30),
            actor=personas.office_admin,
            seed=1,
        )


def test_nobody_inspects_a_point_of_their_own_unit(new_round, city, personas):
    # An inspector who is also the liaison of 东城区 only gets 西城区's points.
    local = make_person(city.campaign, "east_inspector", Role.INSPECTOR)
    local.memberships.create(campaign=city.campaign, role=Role.UNIT_LIAISON, unit=city.east)
    the_round = new_round(inspectors=[local, personas.inspector])
    rounds.draw(the_round, actor=personas.office_admin, seed=7)
    for sample in the_round.sampled_points.all():
        if sample.inspector == local:
            assert sample.district_id == city.west.pk
    assert the_round.sampled_points.filter(inspector=local).count() == 3
    only_local = new_round(
        [{"type": the_round.quotas[0]["type"], "district": city.east.pk, "count": 1}],
        inspectors=[local],
    )
    with pytest.raises(DomainError):
        rounds.draw(only_local, actor=personas.office_admin, seed=7)


def observe(the_round, ratings, photo):
    """Record `ratings` (one per applicable standard, in order) at each sampled point."""
    for sample, row in zip(the_round.sampled_points.order_by("position"), ratings, strict=True):
        standards = rounds.applicable_standards(sample.point)
        rounds.record_observations(
            sample,
            actor=sample.inspector,
            results={
                s: (r, "现场记录", [photo()] if r == F else [])
                for s, r in zip(standards, row, strict=True)
            },
        )


def test_a_not_met_needs_a_photo_and_becomes_a_finding_of_the_round(
    new_round, personas, register, photo
):
    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=3)
    rounds.start(the_round, actor=personas.office_admin)
    sample = the_round.sampled_points.first()
    clean, other = rounds.applicable_standards(sample.point)
    with pytest.raises(DomainError, match="photo|照片"):
        rounds.record_observations(
            sample, actor=sample.inspector, results={clean: (F, "", []), other: (M, "", [])}
        )
    assert not Observation.objects.exists() and not Finding.objects.exists()
    rounds.record_observations(
        sample,
        actor=sample.inspector,
        results={clean: (F, "垃圾堆放", [photo()]), other: (M, "", [])},
    )
    (finding,) = Finding.objects.all()
    assert finding.inspection == the_round.inspection
    assert finding.point == sample.point and finding.standard == clean
    assert finding.source == Source.MOCK and finding.status == FindingStatus.REGISTERED
    assert finding.photos.count() == 1 and finding.unit is None
    with pytest.raises(DomainError):
        rounds.record_observations(sample, actor=sample.inspector, results={clean: (M, "", [])})


def test_units_see_nothing_of_a_round_before_release(
    new_round, city, personas, register, photo, client_for
):
    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=5)
    rounds.start(the_round, actor=personas.office_admin)
    observe(the_round, [[F, M]] + [[M, M]] * 5, photo)
    rounds.complete(the_round, actor=personas.inspector)
    finding = Finding.objects.get()
    unit = finding.point.unit
    leader = make_person(city.campaign, "point_unit_leader", Role.UNIT_LEADER, unit=unit)
    district = (
        personas.district_leader if unit.is_within(city.east) else personas.other_district_leader
    )
    urls = [
        reverse("inspections:finding_list"),
        reverse("inspections:finding_inbox"),
        reverse("inspections:finding_export") + "?format=csv",
        reverse("reports:dashboard"),
        "/",
    ]
    for person in (leader, district, personas.command_staff):
        assert not Finding.objects.visible_to(person).exists()
        client = client_for(person)
        assert client.get(finding.get_absolute_url()).status_code == 404
        assert client.get(the_round.get_absolute_url()).status_code == 404
        for url in urls:
            body = (
                b"".join(client.get(url)).decode()
                if url.endswith("csv")
                else client.get(url).content.decode()
            )
            assert finding.description not in body and finding.code not in body, (person, url)
        # The map's markers and the point register's counts too.
        markers = client.get(reverse("fieldwork:map_data")).json()
        assert markers["findings"] == [] and all(p["open"] == 0 for p in markers["points"])
        assert client.get(reverse("fieldwork:map_popup", args=[finding.pk])).status_code == 404
    assert Finding.objects.visible_to(personas.inspector).count() == 1
    office_markers = client_for(personas.office_admin).get(reverse("fieldwork:map_data")).json()
    assert len(office_markers["findings"]) == 1

    rounds.release(the_round, actor=personas.office_admin)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ASSIGNED and finding.unit == unit
    assert list(Finding.objects.visible_to(leader)) == [finding]
    assert list(Finding.objects.visible_to(district)) == [finding]
    page = client_for(leader).get(reverse("inspections:finding_inbox")).content.decode()
    assert finding.code in page
    # The round itself stays the office's and inspectors' page.
    assert client_for(leader).get(the_round.get_absolute_url()).status_code == 404


def test_the_report_counts_observations_and_the_score_rate_overall_per_type_and_district(
    new_round, city, personas, register, photo
):
    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=11)
    rounds.start(the_round, actor=personas.office_admin)
    samples = list(the_round.sampled_points.order_by("position").select_related("point"))
    # Positions run by district (东城区 first), then type: market, market, lane per district.
    assert [(s.district_id, s.point.type_id) for s in samples] == [
        (city.east.pk, register.market.pk),
        (city.east.pk, register.market.pk),
        (city.east.pk, register.lane.pk),
        (city.west.pk, register.market.pk),
        (city.west.pk, register.market.pk),
        (city.west.pk, register.lane.pk),
    ]
    observe(the_round, [[M, M], [M, B], [F, M], [B, B], [M, F], [M, M]], photo)
    report = rounds.round_report(the_round)
    overall = report["overall"]
    assert report["sampled"] == 6 and len(overall.points) == 6
    assert len(overall.standards) == 3  # clean, stalls, ads
    assert overall.observations == 12
    # 达标 7, 基本达标 3, 不达标 2: (7 × 1 + 3 × 0.5 + 2 × 0) / 12 = 8.5 / 12 = 70.83 → 70.8 %
    assert overall.counts == {M: 7, B: 3, F: 2, Rating.NOT_ASSESSED: 0}
    assert overall.score_rate == Decimal("70.8")
    by_type = {t.label: t for t in report["by_type"]}
    # markets: M M  M B  B B  M F → (4 + 3 × 0.5) / 8 = 68.75 → 68.8 ; lanes: F M  M M → 3 / 4
    assert by_type["农贸市场"].observations == 8 and by_type["农贸市场"].score_rate == Decimal(
        "68.8"
    )
    assert by_type["背街小巷"].observations == 4 and by_type["背街小巷"].score_rate == Decimal(
        "75.0"
    )
    by_district = {t.label: t for t in report["by_district"]}
    # 东城区: M M  M B  F M → 4.5 / 6 = 75.0 ; 西城区: B B  M F  M M → 4 / 6 = 66.67 → 66.7
    assert by_district["东城区"].score_rate == Decimal("75.0")
    assert by_district["西城区"].score_rate == Decimal("66.7")
    assert len(by_district["西城区"].points) == 3
    # The weight of 基本达标 is the round's own setting: (7 + 3 × 0.8) / 12 = 9.4 / 12 → 78.3 %
    Round.objects.filter(pk=the_round.pk).update(mostly_met_weight=Decimal("0.8"))
    the_round.refresh_from_db()
    assert rounds.round_report(the_round)["overall"].score_rate == Decimal("78.3")


def test_a_round_cannot_be_completed_with_points_unobserved_nor_released_by_an_inspector(
    new_round, personas, photo
):
    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=3)
    with pytest.raises(DomainError):
        rounds.start(the_round, actor=personas.inspector)
    rounds.start(the_round, actor=personas.office_admin)
    with pytest.raises(DomainError):
        rounds.complete(the_round, actor=personas.inspector)
    observe(the_round, [[M, M]] * 6, photo)
    rounds.complete(the_round, actor=personas.inspector)
    with pytest.raises(DomainError):
        rounds.release(the_round, actor=personas.inspector)
    rounds.release(the_round, actor=personas.office_admin)
    assert the_round.status == Round.Status.RELEASED


def test_a_finding_of_an_unreleased_round_is_not_handed_to_a_unit_by_hand(
    new_round, personas, photo, client_for
):
    """交办 before the release would tell the unit what the round still withholds: the rule
    table refuses it (no button on the page, a refused POST), naming the round."""
    from campaign.models import OutboxMessage
    from campaign.transitions import may

    the_round = new_round()
    rounds.draw(the_round, actor=personas.office_admin, seed=5)
    rounds.start(the_round, actor=personas.office_admin)
    observe(the_round, [[F, M]] + [[M, M]] * 5, photo)
    finding = Finding.objects.get()
    unit = finding.point.unit
    for status in ("in progress", "completed"):
        assert not may(personas.office_admin, finding, "assign"), status
        with pytest.raises(DomainError, match=the_round.name):
            finding.assign(actor=personas.office_admin, unit=unit)
        client = client_for(personas.office_admin)
        page = client.get(finding.get_absolute_url())
        url = reverse("inspections:finding_assign", args=[finding.pk])
        assert page.status_code == 200 and url not in page.content.decode()
        # The page says why: the round, by name, and the way to it.
        assert f"本问题属于尚未发布的抽样巡查“{the_round.name}”" in page.content.decode()
        assert the_round.get_absolute_url() in page.content.decode()
        outbox_before = OutboxMessage.objects.count()
        response = client.post(url, {"version": finding.version, "unit": unit.pk})
        assert response.status_code == 400
        assert the_round.name in response.content.decode()
        finding.refresh_from_db()
        assert finding.unit is None and finding.status == FindingStatus.REGISTERED
        assert OutboxMessage.objects.count() == outbox_before
        if status == "in progress":
            rounds.complete(the_round, actor=personas.inspector)

    rounds.release(the_round, actor=personas.office_admin)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.ASSIGNED and finding.unit == unit
