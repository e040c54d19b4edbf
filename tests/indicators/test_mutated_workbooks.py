"""Property-based: the sample workbooks mutated as offices mangle them (cells deleted, shifted,
retyped, rows dropped or doubled, sheets split and merged) either import correctly or are
refused with located errors — never a traceback, never a partial write.

The mutations run in memory against the reader and validators (1,000+ cases, no web layer);
a smaller set goes through apply and the database to check that nothing is written on error.
"""

import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from campaign.indicator_import import apply_indicators, read_indicators
from campaign.models import AuditEntry, EvaluationSystem, IndicatorNode, Standard, Unit
from campaign.services import apply_organisation, read_organisation
from campaign.workbook import WorkbookInvalid, read_workbook

from .conftest import DATA, SAMPLE

pytestmark = pytest.mark.django_db

ORGANISATION = DATA / "organisation.xlsx"
# Values offices type where they should not: text in number columns, numbers in text
# columns, error cells, invisible characters, dashes, dates, huge and negative numbers.
ODD_VALUES = st.sampled_from(
    [
        None,
        "",
        "—",
        "一分",
        "1分",
        "１.５",
        -1,
        0,
        0.5,
        0.125,
        100000,
        1e20,
        "13812345678",
        "#N/A",
        "#REF!",
        "=SUM(A1:A3)",
        "市城管局\u200b",
        "各县（市、区）",
        "东城区\n西城区",
        "实地考察+问卷调查",
        "是",
        "否",
        "2026年5月底",
        46142,
        datetime.date(2026, 5, 31),
        "合计",
        "注：说明",
        "测评项目",
        "分值",
        "一、",
        "15分钟便民生活圈",
        True,
    ]
)


def sample_sheets(path):
    """The sample as [(title, rows)], merged ranges already filled in."""
    book = read_workbook(path.read_bytes())
    result = []
    for sheet in book.sheets:
        width = max(len(values) for _n, values in sheet.rows)
        result.append(
            (
                sheet.title,
                [list(values) + [None] * (width - len(values)) for _n, values in sheet.rows],
            )
        )
    return result


INDICATOR_SHEETS = sample_sheets(SAMPLE)
ORGANISATION_SHEETS = sample_sheets(ORGANISATION)


@st.composite
def mutations(draw):
    """A list of (kind, parameters) edits, applied in order by `mutate`."""
    kinds = st.sampled_from(
        ["delete", "retype", "shift", "drop_row", "double_row", "swap_columns", "split", "merge"]
    )
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        edits.append(
            (
                draw(kinds),
                draw(st.integers(0, 10_000)),
                draw(st.integers(0, 10_000)),
                draw(ODD_VALUES),
            )
        )
    return edits


def mutate(sheets, edits):
    sheets = [(title, [list(row) for row in rows]) for title, rows in sheets]
    for kind, a, b, value in edits:
        title, rows = sheets[a % len(sheets)]
        if not rows:
            continue
        r, c = a % len(rows), b % len(rows[0])
        if kind == "delete":
            rows[r][c] = None
        elif kind == "retype":
            rows[r][c] = value
        elif kind == "shift":
            rows[r] = [None, *rows[r][:-1]] if b % 2 else [*rows[r][1:], None]
        elif kind == "drop_row":
            del rows[r]
        elif kind == "double_row":
            rows.insert(r, list(rows[r]))
        elif kind == "swap_columns":
            c2 = (c + 1) % len(rows[0])
            for row in rows:
                row[c], row[c2] = row[c2], row[c]
        elif kind == "split" and len(rows) > 3:
            # The rows after r go to a new sheet, with the header repeated or not.
            cut = max(1, r)
            header = [rows[h] for h in range(min(3, cut))] if b % 2 else []
            sheets.append((f"{title[:20]}续{len(sheets)}", header + rows[cut:]))
            del rows[cut:]
        elif kind == "merge" and len(sheets) > 1:
            _other_title, other = sheets.pop()
            rows.extend(other[3:] if b % 2 else other)
    return sheets


def to_bytes(sheets):
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title or "Sheet")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assert_located(errors):
    assert errors
    for error in errors:
        assert error.message and error.sheet
        assert "Traceback" not in error.message and "Error(" not in error.message


def assert_consistent(plan):
    """An accepted plan is internally exact: points in bounds, totals add up, every
    standard under a node the plan has."""
    assert plan.standards
    for standard in plan.standards:
        assert standard.text
        assert Decimal(0) <= standard.points <= 1000
        assert standard.points == standard.points.quantize(Decimal("0.01"))
        assert standard.path in plan.nodes
    top_total = sum((n.points for n in plan.top_nodes()), Decimal(0))
    assert top_total == plan.total_points


FAST = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FAST
@given(edits=mutations())
def test_a_mutated_evaluation_system_imports_exactly_or_is_refused_with_located_errors(org, edits):
    plan = read_indicators(
        to_bytes(mutate(INDICATOR_SHEETS, edits)), campaign=org, filename="m.xlsx"
    )
    if plan.all_errors:
        assert_located(plan.all_errors)
    else:
        assert_consistent(plan)


@settings(FAST, max_examples=200)
@given(edits=mutations())
def test_a_mutated_unit_list_imports_exactly_or_is_refused_with_located_errors(campaign, edits):
    plan = read_organisation(to_bytes(mutate(ORGANISATION_SHEETS, edits)), campaign=campaign)
    if plan.errors:
        assert_located(plan.errors)
    else:
        assert plan.rows
        assert all(row.name and row.kind for row in plan.rows)


def counts():
    return (
        EvaluationSystem.objects.count(),
        IndicatorNode.objects.count(),
        Standard.objects.count(),
        Unit.objects.count(),
        AuditEntry.objects.count(),
    )


@settings(FAST, max_examples=60)
@given(edits=mutations())
def test_a_refused_workbook_writes_nothing_through_the_database(org, personas, edits):
    data = to_bytes(mutate(INDICATOR_SHEETS, edits))
    before = counts()
    plan = read_indicators(data, campaign=org, filename="m.xlsx")
    if plan.all_errors:
        with pytest.raises(WorkbookInvalid):
            apply_indicators(plan, campaign=org, actor=personas.office_admin)
        assert counts() == before
    else:
        system = apply_indicators(plan, campaign=org, actor=personas.office_admin)
        assert system.standards.count() == len(plan.standards)
        assert sum(s.points for s in system.standards.all()) == plan.total_points
    unit_data = to_bytes(mutate(ORGANISATION_SHEETS, edits))
    before = counts()
    unit_plan = read_organisation(unit_data, campaign=org)
    if unit_plan.errors:
        with pytest.raises(WorkbookInvalid):
            apply_organisation(unit_plan, campaign=org, actor=personas.office_admin)
        assert counts() == before
