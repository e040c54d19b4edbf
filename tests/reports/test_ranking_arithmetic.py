"""Figures, scores and rankings against cases computed by hand."""

from decimal import Decimal

import pytest

from campaign.models import Unit
from inspections.models import Severity, Status
from reports.models import ScoringRule, UnitSnapshot
from reports.periods import period_bounds
from reports.rankings import (
    ANGLE_BY_KEY,
    compute_figures,
    rank_rows,
    ranking,
    red_black_lists,
    score,
)
from tasks.models import Task

from .conftest import WEEK, day, make_finding, make_returned_event, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def week_of_donghua1(city):
    """The hand-computed week of 东华第1社区 (see the test below for the arithmetic)."""
    c, unit = city.campaign, city.donghua1
    old = make_finding(c, unit, found_on=day(-13), status=Status.CLOSED, closed_on=day(-8))
    # F1 minor, overdue since Wednesday: Thu and Fri count (2 working days).
    make_finding(c, unit, found_on=day(1), deadline=day(2))
    # F2 serious, closed on Thursday before its deadline.
    make_finding(
        c,
        unit,
        found_on=day(0),
        severity=Severity.SERIOUS,
        status=Status.CLOSED,
        deadline=day(4),
        closed_on=day(3),
    )
    # F3 critical, deadline Thursday, handed in Friday: 1 working day overdue, returned once.
    f3 = make_finding(
        c,
        unit,
        found_on=day(2),
        severity=Severity.CRITICAL,
        status=Status.AWAITING,
        deadline=day(3),
        submitted_on=day(4),
    )
    make_returned_event(f3, day(3))
    # F4 minor relapse of the old finding, deadline next week.
    make_finding(c, unit, found_on=day(4), relapse_of=old, status=Status.ASSIGNED, deadline=day(10))
    # Voided: counts nowhere.
    make_finding(c, unit, found_on=day(1), status=Status.VOIDED, deadline=day(1))
    # F6 from last week, overdue all week: Monday to Friday (5 working days).
    make_finding(c, unit, found_on=day(-6), deadline=day(-5))
    # Tasks: on time, late, overdue, and one not yet due.
    make_task(c, unit, deadline=day(-1), status=Task.Status.ACCEPTED, accepted_on=day(-3))
    make_task(c, unit, deadline=day(1), status=Task.Status.ACCEPTED, accepted_on=day(3))
    make_task(c, unit, deadline=day(4))
    make_task(c, unit, deadline=day(18))
    return city


def figures(campaign):
    start, end = period_bounds(WEEK)
    return {row.unit_name: row for row in compute_figures(campaign=campaign, start=start, end=end)}


def test_a_units_week_is_counted_as_computed_by_hand(week_of_donghua1):
    row = figures(week_of_donghua1.campaign)["东华第1社区"]
    assert (row.found_week, row.minor_week, row.serious_week, row.critical_week) == (4, 2, 1, 1)
    assert row.found_total == 6
    assert (row.closed_week, row.closed_total, row.open_count) == (1, 2, 4)
    assert row.overdue_count == 2
    assert row.overdue_days_week == 2 + 1 + 5
    assert (row.relapses_week, row.returned_week) == (1, 1)
    assert (row.tasks_due, row.tasks_done, row.tasks_on_time, row.tasks_overdue) == (3, 2, 1, 1)
    # 2×1 + 1×2 + 1×5 + 8×0.5 + 1×3 + 1×1 + 10×(1/3) + 5×(1/2) = 22.833… → 22.83
    assert row.deduction == Decimal("22.83")
    assert row.score == Decimal("77.17")
    assert row.closure_rate == Decimal("33.3")
    assert row.completion_rate == Decimal("66.7")


def test_a_finding_counts_for_its_unit_and_every_unit_above_it(week_of_donghua1):
    rows = figures(week_of_donghua1.campaign)
    for name in ("东华第1社区", "东华街道", "东城区"):
        assert rows[name].found_week == 4
        assert rows[name].score == Decimal("77.17")
    for name in ("东华第2社区", "新市街道", "西城区", "市城管局"):
        assert rows[name].found_total == 0
        assert rows[name].score == Decimal("100.00")


def test_task_deductions_are_not_applied_below_the_minimum(week_of_donghua1):
    rule = ScoringRule.for_campaign(week_of_donghua1.campaign)
    rule.min_tasks_for_rate = 4
    row = figures(week_of_donghua1.campaign)["东华第1社区"]
    deduction, total = score(row, rule)
    assert deduction == Decimal("17.00")  # the week's findings only
    assert total == Decimal("83.00")


def test_the_score_never_goes_below_zero(city):
    for _n in range(25):
        make_finding(city.campaign, city.xiguan1, found_on=day(1), severity=Severity.CRITICAL)
    row = figures(city.campaign)["西关第1社区"]
    assert row.deduction == Decimal("125.00")
    assert row.score == Decimal("0.00")


def snapshot_row(unit_id, path, kind=Unit.Kind.DISTRICT, **values):
    return UnitSnapshot(
        unit_id=unit_id, unit_name=f"单位{unit_id}", unit_kind=kind, unit_path=path, **values
    )


RULES = ScoringRule().as_dict()


def test_equal_values_share_a_rank_and_the_next_rank_is_skipped():
    rows = [
        snapshot_row(1, "/1/", score=Decimal("90")),
        snapshot_row(2, "/2/", score=Decimal("95")),
        snapshot_row(3, "/3/", score=Decimal("95")),
        snapshot_row(4, "/4/", score=Decimal("80")),
    ]
    ranked = rank_rows(rows, ANGLE_BY_KEY["composite"], RULES)
    assert [(i.row.unit_id, i.rank) for i in ranked] == [(2, 1), (3, 1), (1, 3), (4, 4)]


def test_tied_units_are_listed_in_unit_tree_order():
    rows = [
        snapshot_row(9, "/2/9/", score=Decimal("95")),
        snapshot_row(5, "/1/5/", score=Decimal("95")),
    ]
    ranked = rank_rows(rows, ANGLE_BY_KEY["composite"], RULES)
    assert [i.row.unit_id for i in ranked] == [5, 9]


def test_most_problems_puts_the_unit_with_the_most_first():
    rows = [snapshot_row(1, "/1/", found_week=2), snapshot_row(2, "/2/", found_week=7)]
    ranked = rank_rows(rows, ANGLE_BY_KEY["problems"], RULES)
    assert [(i.row.unit_id, i.rank) for i in ranked] == [(2, 1), (1, 2)]


def test_a_closure_rate_on_fewer_findings_than_the_minimum_is_not_ranked():
    rows = [
        snapshot_row(1, "/1/", found_total=10, closed_total=8),
        snapshot_row(2, "/2/", found_total=4, closed_total=4),  # 100 %, but only 4 findings
        snapshot_row(3, "/3/", found_total=5, closed_total=5),  # exactly the minimum (5)
        snapshot_row(4, "/4/", found_total=0, closed_total=0),
    ]
    ranked = rank_rows(rows, ANGLE_BY_KEY["closure"], RULES)
    assert [(i.row.unit_id, i.rank) for i in ranked] == [(3, 1), (1, 2), (2, None), (4, None)]
    assert ranked[2].value == Decimal("100.0")
    assert "5" in ranked[2].note


def test_task_completion_below_the_minimum_is_not_ranked():
    rows = [
        snapshot_row(1, "/1/", tasks_due=2, tasks_done=2),
        snapshot_row(2, "/2/", tasks_due=3, tasks_done=1),
    ]
    ranked = rank_rows(rows, ANGLE_BY_KEY["tasks"], RULES)
    assert [(i.row.unit_id, i.rank) for i in ranked] == [(2, 1), (1, None)]


def test_units_are_only_compared_with_units_of_the_same_kind():
    rows = [
        snapshot_row(1, "/1/", score=Decimal("90")),
        snapshot_row(2, "/2/", kind=Unit.Kind.DEPARTMENT, score=Decimal("99")),
        snapshot_row(3, "/3/", score=Decimal("80")),
    ]
    districts = ranking(rows, [], ANGLE_BY_KEY["composite"], RULES, RULES, Unit.Kind.DISTRICT)
    assert [(i.row.unit_id, i.rank) for i in districts] == [(1, 1), (3, 2)]


def test_the_change_since_last_week_counts_places_moved():
    last_week = [
        snapshot_row(1, "/1/", score=Decimal("99")),
        snapshot_row(2, "/2/", score=Decimal("90")),
        snapshot_row(3, "/3/", score=Decimal("80")),
    ]
    this_week = [
        snapshot_row(1, "/1/", score=Decimal("70")),
        snapshot_row(2, "/2/", score=Decimal("90")),
        snapshot_row(3, "/3/", score=Decimal("85")),
        snapshot_row(4, "/4/", score=Decimal("60")),
    ]
    items = ranking(this_week, last_week, ANGLE_BY_KEY["composite"], RULES, RULES, "district")
    assert [(i.row.unit_id, i.rank, i.change) for i in items] == [
        (2, 1, 1),
        (3, 2, 1),
        (1, 3, -2),
        (4, 4, None),  # new this week: no change shown
    ]


def test_a_tie_at_the_cut_off_is_never_split_and_is_counted_instead():
    scores = [100, 100, 100, 90, 80, 70, 70]
    rows = [
        snapshot_row(n, f"/{n}/", score=Decimal(s), found_week=1)
        for n, s in enumerate(scores, start=1)
    ]
    red, black = red_black_lists(rows, size=2, min_activity=1)
    assert red.named == []
    assert red.tied_out == {"rank": 1, "count": 3, "value": Decimal(100)}
    assert [(i.row.unit_id, i.tied) for i in black.named] == [(6, True), (7, True)]


def test_no_unit_is_on_both_lists():
    rows = [
        snapshot_row(n, f"/{n}/", score=Decimal(s), found_week=1)
        for n, s in [(1, 100), (2, 90), (3, 80)]
    ]
    red, black = red_black_lists(rows, size=2, min_activity=1)
    assert [i.row.unit_id for i in red.named] == [1, 2]
    assert [i.row.unit_id for i in black.named] == [3]
