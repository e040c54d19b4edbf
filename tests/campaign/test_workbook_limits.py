"""Hostile and damaged workbooks are refused (or read) in bounded time and memory, with a
clear Chinese message, on every import form."""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from bench.imports import dimension_bomb, styled_empty_rows
from campaign import workbook
from campaign.workbook import WorkbookInvalid, read_workbook

FORMS = [
    ("campaign:organisation_import", {}),
    ("campaign:system_import", {}),
    ("tasks:progress_import", {}),
    ("inspections:finding_import", {"kind": "mock", "date": "2026-03-03"}),
]


def post(client, name, data, extra):
    upload = io.BytesIO(data)
    upload.name = "上报.xlsx"
    return client.post(reverse(name), {"file": upload, "preview": "1", **extra})


@pytest.mark.parametrize(("name", "extra"), FORMS)
def test_a_dimension_bomb_is_refused_on_every_import_form_quickly_and_in_little_memory(
    personas, client_for, name, extra
):
    client = client_for(personas.office_admin)
    client.get(reverse(name))  # templates and catalogues load before the clock starts
    data = dimension_bomb()
    assert len(data) < 5 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    response = post(client, name, data, extra)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="import-errors"' in text
    assert "工作簿太大" in text
    assert seconds < 5
    assert peak < 300 * 2**20


def test_styled_empty_rows_cost_neither_memory_nor_rows():
    data = styled_empty_rows(rows=200_000)
    tracemalloc.start()
    started = time.perf_counter()
    book = read_workbook(data)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [number for number, _values in book.sheets[0].rows] == [1, 2]
    assert peak < 50 * 2**20
    assert seconds < 30  # about 2 s alone on this machine; slack for a busy CI runner


def test_a_sheet_past_the_uncompressed_size_cap_is_refused(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_XML_BYTES", 200_000)
    with pytest.raises(WorkbookInvalid) as raised:
        read_workbook(styled_empty_rows(rows=20_000))
    assert "太大" in str(raised.value) or "too large" in str(raised.value)


def test_an_encrypted_workbook_is_not_called_an_old_xls():
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(WorkbookInvalid) as raised:
        read_workbook(data)
    message = raised.value.errors[0].message
    assert "密码" in message or "password" in message
    assert ".xls" not in message


def test_a_damaged_workbook_gets_advice_not_an_exception_text():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='a' r:id='x'")
    with pytest.raises(WorkbookInvalid) as raised:
        read_workbook(buffer.getvalue())
    message = raised.value.errors[0].message
    assert "KeyError" not in message and "There is no item" not in message
    assert "damaged" in message or "损坏" in message


def test_an_entity_declaration_is_refused():
    bomb = dimension_bomb().replace(b"x", b"x")
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bomb)) as source, zipfile.ZipFile(buffer, "w") as package:
        for item in source.namelist():
            content = source.read(item)
            if item == "xl/workbook.xml":
                content = (
                    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
                    + content.split(b"?>", 1)[1]
                )
            package.writestr(item, content)
    with pytest.raises(WorkbookInvalid):
        read_workbook(buffer.getvalue())
