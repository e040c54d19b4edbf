"""A rectification ledger (问题整改台账) imported as it stands: closed problems stay closed."""

import datetime
import io

import pytest
from openpyxl import Workbook

from inspections.models import Finding, FindingEvent, Inspection, Status
from inspections.services import apply_findings, escalate_overdue, read_findings

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "发现时间",
    "问题描述",
    "具体位置",
    "责任单位",
    "整改时限",
    "整改情况",
    "是否销号",
    "销号日期",
]


def ledger(rows):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "问题整改台账"
    sheet.append(["2026年第一季度问题整改台账"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_closed_problems_come_in_closed_with_the_import_in_their_history(personas, city):
    data = ledger(
        [
            [
                1,
                "2026-01-05",
                "东华路占道经营",
                "东华路88号",
                "东华街道",
                "2026-01-12",
                "已清理并巡查",
                "是",
                "2026-01-10",
            ],
            [
                2,
                "2026-01-06",
                "建设街垃圾堆放",
                "建设街12号",
                "东华街道",
                "2026-01-13",
                "已清运",
                "已销号",
                None,
            ],
            [
                3,
                "2026-01-07",
                "新市路井盖缺失",
                "新市路5号",
                "东华街道",
                "2026-01-14",
                "",
                "否",
                None,
            ],
        ]
    )
    plan = read_findings(data, campaign=city.campaign)
    assert plan.errors == []
    assert (plan.closed_count, plan.assigned_count) == (2, 1)
    inspection = Inspection(campaign=city.campaign, kind="routine", date=datetime.date(2026, 1, 5))
    apply_findings(plan, campaign=city.campaign, actor=personas.inspector, inspection=inspection)

    closed = Finding.objects.get(description="东华路占道经营")
    assert closed.status == Status.CLOSED
    assert closed.measures == "已清理并巡查"
    assert closed.closed_at.date() == datetime.date(2026, 1, 10)
    last = closed.events.order_by("at", "pk").last()
    assert last.to_status == Status.CLOSED and last.data["imported"]
    assert Finding.objects.get(description="建设街垃圾堆放").status == Status.CLOSED
    assert Finding.objects.get(description="新市路井盖缺失").status == Status.ASSIGNED

    # Months later the escalation job only ever touches the open one.
    escalate_overdue(on=datetime.date(2026, 4, 1))
    supervised = FindingEvent.objects.filter(action=FindingEvent.Action.SUPERVISE)
    assert {e.finding.description for e in supervised} == {"新市路井盖缺失"}
    assert Finding.objects.overdue(on=datetime.date(2026, 4, 1)).count() == 1


def test_an_unreadable_closure_answer_is_a_located_error(personas, city):
    data = ledger([[1, "2026-01-05", "占道经营", "东华路88号", "东华街道", "", "", "也许", None]])
    plan = read_findings(data, campaign=city.campaign)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "H")]


def test_serial_dates_and_dotted_dates_are_accepted_like_chinese_dates(personas, city):
    data = ledger(
        [
            [1, 46027, "占道经营", "东华路88号", "东华街道", "2026.1.12", "", "", None],
            [2, "2026年1月5日", "垃圾堆放", "建设街12号", "东华街道", "2026/1/12", "", "", None],
        ]
    )
    plan = read_findings(data, campaign=city.campaign)
    assert plan.errors == []
    assert {r.found_on for r in plan.rows} == {datetime.date(2026, 1, 5)}
    assert {r.deadline for r in plan.rows} == {datetime.date(2026, 1, 12)}


def test_descriptions_and_places_are_stored_as_typed(personas, city):
    data = ledger(
        [
            [
                1,
                "2026-01-05",
                "东华路（东段）占道，影响通行",
                "东华路８８号",
                "东华街道",
                "",
                "",
                "",
                None,
            ]
        ]
    )
    plan = read_findings(data, campaign=city.campaign)
    assert plan.errors == []
    assert (plan.rows[0].description, plan.rows[0].address) == (
        "东华路（东段）占道，影响通行",
        "东华路８８号",
    )
