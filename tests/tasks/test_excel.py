"""The task list in the office's Excel layout, and progress imported back from it."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from campaign.exports import TabularExport, escape_csv_value
from campaign.workbook import WorkbookInvalid
from tasks.models import ProgressUpdate, Task
from tasks.services import apply_progress, read_progress

from .conftest import make_task

HEADERS = ["序号", "任务", "牵头单位", "责任单位", "完成时限", "进展", "状态", "任务编号"]


def export(client, **params):
    response = client.get(reverse("tasks:task_export"), params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_export_has_the_office_layout_and_only_the_filtered_tasks(city, personas, client_for):
    task = make_task(city, responsible=[city.donghua1, city.donghua2], title="门前三包落实")
    task.parts.get(unit=city.donghua).report_progress(
        actor=personas.street_liaison, text="已签订责任书", progress=40
    )
    make_task(city, lead_unit=city.west, title="西城任务")
    data = export(client_for(personas.office_admin), unit=city.east.pk)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "任务清单" in rows[0][0] or "task list" in rows[0][0]
    assert list(rows[1]) == HEADERS
    # One row per unit's part: the lead street's, then each community's.
    assert len(rows) == 5
    number, title, lead, responsible, deadline, progress, status, pk = rows[2]
    assert (number, title, lead, pk) == (1, "门前三包落实", "东华街道", task.pk)
    assert [row[3] for row in rows[2:]] == ["东华街道", "东华第1社区", "东华第2社区"]
    assert deadline.date() == task.deadline
    assert progress == "【40%】已签订责任书"
    assert rows[3][5] == "【0%】"


def test_csv_export_escapes_formulas(city, personas, client_for):
    make_task(city, title='=HYPERLINK("http://evil")')
    text = export(client_for(personas.office_admin), format="csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert escape_csv_value("-3") == "-3"
    assert escape_csv_value("+1+1") == "'+1+1"
    assert escape_csv_value("@SUM(A1)") == "'@SUM(A1)"


def test_xlsx_never_writes_text_as_a_formula():
    class Export(TabularExport):
        title = "t"
        headers = ["a"]

        def rows(self):
            yield ["=1+1"]

    buffer = io.BytesIO()
    Export().write_xlsx(buffer)
    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["A3"]
    assert cell.value == "=1+1" and cell.data_type == "s"


def filled(data, changes):
    """The exported workbook with 进展 cells changed: {row number: text}."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    for row, text in changes.items():
        sheet.cell(row=row, column=6, value=text)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_progress_filled_into_the_export_imports_back_after_a_preview(city, personas, client_for):
    first = make_task(city, title="任务甲")
    second = make_task(city, title="任务乙")
    client = client_for(personas.street_liaison)
    data = filled(export(client), {3: "【60%】完成主体施工", 4: "【0%】"})
    upload = io.BytesIO(data)
    upload.name = "进展.xlsx"
    response = client.post(reverse("tasks:progress_import"), {"file": upload})
    plan = response.context["plan"]
    assert plan.errors == []
    assert plan.counts == {"update": 1, "unchanged": 1}
    assert ProgressUpdate.objects.count() == 0  # the preview writes nothing
    client.post(reverse("tasks:progress_import"), {"confirm": "1"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.progress, first.status) == (60, Task.Status.IN_PROGRESS)
    assert first.updates.get().text == "完成主体施工"
    assert second.progress == 0


def workbook_bytes(rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "任务清单"
    sheet.append(["某市创建任务清单"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_errors_name_sheet_row_and_column_and_nothing_is_written(city, personas):
    ok = make_task(city, title="任务甲")
    make_task(city, lead_unit=city.west, title="西城任务")
    data = workbook_bytes(
        [
            HEADERS,
            [1, "任务甲", "东华街道", "", "", "【50%】进行中", "", ok.pk],
            [2, "不存在的任务", "", "", "", "【10%】x", "", None],
            [3, "西城任务", "", "", "", "【10%】x", "", None],
            [4, "任务甲", "", "", "", "【150%】x", "", None],
        ]
    )
    plan = read_progress(data, campaign=city.campaign, user=personas.street_liaison)
    located = {(e.sheet, e.row, e.column) for e in plan.errors}
    assert ("任务清单", 4, "B") in located  # unknown task
    assert ("任务清单", 5, "B") in located  # another district's task is not even found
    assert ("任务清单", 6, "B") in located  # the same task twice
    assert plan.rows[0].part == ok.parts.get()
    with pytest.raises(WorkbookInvalid):
        apply_progress(plan, actor=personas.street_liaison)
    ok.refresh_from_db()
    assert ok.progress == 0


def test_a_percentage_over_100_is_an_error_in_the_progress_column(city, personas):
    make_task(city, title="任务甲")
    data = workbook_bytes([HEADERS, [1, "任务甲", "", "", "", "【150%】x", "", None]])
    plan = read_progress(data, campaign=city.campaign, user=personas.street_liaison)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "F")]


def test_an_old_xls_file_or_a_sheet_without_the_columns_is_refused(city, personas):
    plan = read_progress(
        b"\xd0\xcf\x11\xe0" + b"0" * 100, campaign=city.campaign, user=personas.office_admin
    )
    assert plan.errors and ".xls" in plan.errors[0].message
    plan = read_progress(
        workbook_bytes([["名称", "备注"]]), campaign=city.campaign, user=personas.office_admin
    )
    assert plan.errors and plan.errors[0].row is None


def test_the_import_is_all_or_nothing_when_a_task_closes_meanwhile(city, personas):
    first = make_task(city, title="任务甲")
    second = make_task(city, title="任务乙")
    data = workbook_bytes(
        [
            HEADERS,
            [1, "任务甲", "", "", "", "【30%】a", "", None],
            [2, "任务乙", "", "", "", "【40%】b", "", None],
        ]
    )
    plan = read_progress(data, campaign=city.campaign, user=personas.street_liaison)
    assert not plan.errors
    # Between preview and confirm, the second task is submitted and accepted.
    part = second.parts.get()
    part.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    part.accept(actor=personas.command_staff)
    with pytest.raises(WorkbookInvalid) as raised:
        apply_progress(plan, actor=personas.street_liaison)
    assert raised.value.errors[0].row == 4
    first.refresh_from_db()
    assert first.progress == 0


def test_a_title_with_characters_excel_refuses_still_makes_a_sheet():
    class Export(TabularExport):
        title = "2025/2026: 任务[汇总]*"
        headers = ["a"]

        def rows(self):
            yield [1]

    buffer = io.BytesIO()
    Export().write_xlsx(buffer)
    assert load_workbook(io.BytesIO(buffer.getvalue())).active.title == "2025·2026· 任务·汇总··"
