"""Excel in and out: an inspection team's workbook (preview → confirm, all or nothing) and
the filtered ledger export."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaign.models import AuditEntry
from inspections.models import Finding, Inspection, Severity, Status

pytestmark = pytest.mark.django_db

HEADER = [
    "序号",
    "发现时间",
    "问题类别",
    "问题描述",
    "具体位置",
    "所属区域",
    "责任单位",
    "严重程度",
]


def workbook(rows, *, title="第三方模拟测评问题清单"):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "问题清单"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    sheet.append(["注：本表由第三方测评机构提供"])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "mock.xlsx"
    return buffer


GOOD = [
    [1, "2026年3月2日", "占道经营", "东华路早市占道经营", "东华路88号", "东华街道", "", "较重"],
    [2, "2026/3/2", "占道经营", "建设街水果摊占道", "建设街12号", "东华街道", "市城管局", "一般"],
    [3, "2026-03-03", "", "新市街道垃圾未清运", "新市路5号", "新市街道", "", ""],
]


def upload(client, data, **extra):
    return client.post(
        reverse("inspections:finding_import"),
        {"file": data, "kind": "mock", "date": "2026-03-03", "team": "第三方测评组", **extra},
    )


def test_a_workbook_is_previewed_then_imported_in_one_go(personas, city, category, client_for):
    client = client_for(personas.inspector)
    preview = upload(client, workbook(GOOD))
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert not plan.errors and len(plan.rows) == 3
    assert not Finding.objects.exists()  # nothing written by the preview

    response = client.post(reverse("inspections:finding_import"), {"confirm": "1"})
    inspection = Inspection.objects.get()
    assert response["Location"] == inspection.get_absolute_url()
    assert (inspection.kind, inspection.team) == ("mock", "第三方测评组")
    findings = {f.address: f for f in Finding.objects.select_related("unit")}
    assert findings["东华路88号"].unit == city.donghua  # suggested from the area
    assert findings["东华路88号"].severity == Severity.SERIOUS
    assert findings["建设街12号"].unit == city.chengguan  # named in the workbook
    assert findings["建设街12号"].status == Status.ASSIGNED
    assert findings["新市路5号"].status == Status.REGISTERED  # no category, no unit: to triage
    assert str(findings["东华路88号"].found_on) == "2026-03-02"
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_any_error_imports_nothing_and_names_row_and_column(personas, city, category, client_for):
    bad = GOOD + [
        [4, "下周", "乱停车", "", "某处", "月球街道", "", "特别严重"],
        [5, "2026-03-04", "占道经营", "无地点的问题", "", "西城区", "", ""],
    ]
    response = upload(client_for(personas.inspector), workbook(bad))
    errors = response.context["plan"].errors
    located = {(e.row, e.column) for e in errors}
    assert (6, "D") in located  # empty description (row 6 of the sheet)
    assert (7, "E") in located  # empty place
    assert not Finding.objects.exists()
    html = response.content.decode()
    assert "import-errors" in html
    # Confirm without a valid preview does nothing.
    client_for(personas.inspector).post(reverse("inspections:finding_import"), {"confirm": "1"})
    assert not Finding.objects.exists()


def test_an_unknown_unit_or_category_is_an_error(personas, city, category, client_for):
    rows = [[1, "2026-03-02", "不存在的类别", "描述", "地点", "东华街道", "不存在的局", "一般"]]
    errors = upload(client_for(personas.inspector), workbook(rows)).context["plan"].errors
    messages = " ".join(e.message for e in errors)
    assert "不存在的类别" in messages and "不存在的局" in messages


def test_an_old_xls_file_is_refused_with_a_clear_message(personas, client_for, category):
    fake = io.BytesIO(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    fake.name = "old.xls"
    errors = upload(client_for(personas.inspector), fake).context["plan"].errors
    assert errors and ".xls" in errors[0].message


def test_the_export_follows_the_filters_in_the_office_layout(make_finding, personas, client_for):
    make_finding("closed")
    make_finding("assigned", address='=HYPERLINK("x")')
    client = client_for(personas.office_admin)
    response = client.get(reverse("inspections:finding_export"), {"status": "assigned"})
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert "问题整改台账" in rows[0][0]
    assert rows[1][:3] == ("序号", "问题编号", "发现日期")
    assert len(rows) == 3
    assert rows[2][6] == '=HYPERLINK("x")'  # text, never a formula
    assert wb.active.cell(row=3, column=7).data_type == "s"
