"""A task list exported and imported back unchanged changes nothing."""

import io

from django.urls import reverse

from tasks.models import ProgressUpdate
from tasks.services import read_progress

from .conftest import make_task


def export(client):
    response = client.get(reverse("tasks:task_export"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_an_export_imported_back_unchanged_reports_no_changes(city, personas, client_for):
    plain = make_task(city, title="门前三包，落实到户（含沿街商铺）")
    plain.parts.get().report_progress(
        actor=personas.street_liaison,
        text="已签订责任书，覆盖（东华）全部商铺；\n第二批进行中",
        progress=40,
    )
    accepted = make_task(city, title="背街小巷整治")
    part = accepted.parts.get()
    part.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    part.accept(actor=personas.command_staff)
    make_task(city, title="无进展的任务")
    data = export(client_for(personas.office_admin))
    before = ProgressUpdate.objects.count()

    for person in (personas.office_admin, personas.street_liaison):
        plan = read_progress(data, campaign=city.campaign, user=person)
        assert plan.errors == []
        assert plan.counts["update"] == 0
    assert ProgressUpdate.objects.count() == before


def test_the_progress_import_keeps_chinese_punctuation_as_typed(city, personas, client_for):
    task = make_task(city, title="门前三包落实")
    data = export(client_for(personas.street_liaison))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    book.active.cell(row=3, column=6, value="【50%】完成（东华）一半，另一半下周")
    out = io.BytesIO()
    book.save(out)
    plan = read_progress(out.getvalue(), campaign=city.campaign, user=personas.street_liaison)
    assert plan.errors == []
    assert [(r.part, r.text) for r in plan.rows if r.action == "update"] == [
        (task.parts.get(), "完成（东华）一半，另一半下周")
    ]
