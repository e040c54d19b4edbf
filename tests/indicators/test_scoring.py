"""The projected-score arithmetic against hand-computed cases."""

from decimal import Decimal
from types import SimpleNamespace

from campaign import scoring
from campaign.models import EvaluationSystem, Standard

A = Standard.Assessment


def std(points, status, *, veto=False, office="甲", position=0):
    return SimpleNamespace(
        points=Decimal(str(points)),
        assessment=status,
        is_veto=veto,
        office=office,
        position=position,
    )


def test_met_earns_all_mostly_met_half_and_the_rest_nothing():
    assert scoring.earned(Decimal("1.5"), A.MET) == Decimal("1.5")
    assert scoring.earned(Decimal("1.5"), A.MOSTLY_MET) == Decimal("0.75")
    assert scoring.earned(Decimal("1.5"), A.NOT_MET) == 0
    assert scoring.earned(Decimal("1.5"), A.NOT_ASSESSED) == 0


def test_a_tally_adds_points_projection_risk_and_unassessed_points():
    # 2 (met) + 1.5 (mostly: 0.75) + 1 (not met) + 0.5 (not assessed) = 5 points, 2.75 earned.
    score = scoring.tally(
        [std(2, A.MET), std(1.5, A.MOSTLY_MET), std(1, A.NOT_MET), std(0.5, A.NOT_ASSESSED)]
    )
    assert score.points == Decimal("5")
    assert score.earned == Decimal("2.75")
    assert score.at_risk == Decimal("2.25")
    assert score.unassessed_points == Decimal("0.5")
    assert score.percent == Decimal("55.0")
    assert score.counts == {"met": 1, "mostly_met": 1, "not_met": 1, "not_assessed": 1}


def test_an_empty_tally_is_zero_without_dividing_by_zero():
    score = scoring.tally([])
    assert (score.points, score.earned, score.percent) == (0, 0, 0)


def test_roll_up_groups_by_one_key_or_several():
    standards = [
        std(2, A.MET, office="甲"),
        std(1, A.MOSTLY_MET, office="乙"),
        std(3, A.NOT_MET, office="甲"),
    ]
    by_office = scoring.roll_up(standards, key=lambda s: s.office)
    assert by_office["甲"].points == 5 and by_office["甲"].earned == 2
    assert by_office["乙"].earned == Decimal("0.5")
    # A list key counts a standard under each: here the item and the content above it.
    by_level = scoring.roll_up(standards, key=lambda s: ["项目", s.office])
    assert by_level["项目"].points == 6
    assert by_level["项目"].earned == Decimal("2.5")


def test_risks_put_failing_veto_items_first_then_the_largest_loss():
    small = std(0.5, A.NOT_MET, position=1)
    large = std(3, A.MOSTLY_MET, position=2)  # 1.5 at risk
    veto = std(0, A.NOT_MET, veto=True, position=3)
    unassessed = std(1, A.NOT_ASSESSED, position=4)
    met = std(2, A.MET, position=5)
    ordered = scoring.risks([small, large, veto, unassessed, met])
    assert [(s, points) for s, points in ordered] == [
        (veto, 0),
        (large, Decimal("1.5")),
        (unassessed, 1),
        (small, Decimal("0.5")),
    ]
    assert scoring.failing_veto([small, veto, met]) == [veto]


def test_a_system_below_its_pass_mark_is_flagged_and_one_without_a_mark_never_is():
    minors = EvaluationSystem(name="未成年人思想道德建设测评体系", pass_mark=Decimal("80"))
    assert scoring.missed_pass_mark(minors, scoring.Score(earned=Decimal("79.5")))
    assert not scoring.missed_pass_mark(minors, scoring.Score(earned=Decimal("80")))
    assert not scoring.missed_pass_mark(EvaluationSystem(name="x"), scoring.Score())


def test_points_are_written_without_trailing_zeros_or_exponents():
    assert scoring.format_points(Decimal("31.50")) == "31.5"
    assert scoring.format_points(Decimal("3E+1")) == "30"
    assert scoring.format_points(Decimal("0.75")) == "0.75"
    assert scoring.format_points(None) == ""
