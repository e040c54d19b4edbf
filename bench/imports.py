"""Workbook imports at scale, and hostile workbooks: time and memory of the one reader.

    .venv/bin/python bench/imports.py [--sizes 2000 20000 200000] [--skip-hostile]

For each size an evaluation-system workbook of that many standards is written, then timed
twice in the same run: openpyxl's read-only load of every cell (the floor) and the full
import check (`read_indicators`: reading, header, every value, units). The ratio of the two
is the figure to compare across machines. Then each hostile file — a 5 KB dimension bomb
(one cell at XFD1048576) and a sheet of 450,000 styled empty rows (3.7 MB, as reported) — is posted to every
import form in a fresh process, which reports its wall time and peak RSS.
"""

import argparse
import datetime
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# --- Hostile files, written as raw packages (openpyxl would take minutes to write them) ------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/></font><font><b/><sz val="11"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    "</styleSheet>"
)
HEADER = ["测评项目", "测评内容", "测评标准", "分值", "任务", "进展", "单位名称", "单位类别"]


def _cell(ref, value):
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _package(sheet_xml_parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for part in sheet_xml_parts:
                sheet.write(part.encode())
    return buffer.getvalue()


def _header_row():
    letters = "ABCDEFGH"
    return (
        '<row r="1">'
        + "".join(_cell(f"{c}1", h) for c, h in zip(letters, HEADER, strict=True))
        + "</row>"
    )


def dimension_bomb():
    """One header row and a single cell at XFD1048576 (the used range of a whole sheet)."""
    return _package(
        [
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
            '<dimension ref="A1:XFD1048576"/><sheetData>',
            _header_row(),
            '<row r="1048576">' + _cell("XFD1048576", "x") + "</row>",
            "</sheetData></worksheet>",
        ]
    )


def styled_empty_rows(rows=450_000):
    """A header, one data row, then `rows` styled empty rows (bold font, no value)."""

    def body():
        yield '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        yield f'<dimension ref="A1:H{rows + 2}"/><sheetData>'
        yield _header_row()
        yield (
            '<row r="2">'
            + "".join(
                _cell(f"{c}2", v)
                for c, v in zip(
                    "ABCDEFGH",
                    ["一、环境", "市容", "无乱贴", "1", "任务", "【10%】", "x", "社区"],
                    strict=True,
                )
            )
            + "</row>"
        )
        chunk = []
        for r in range(3, rows + 3):
            chunk.append(
                f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>'
            )
            if len(chunk) == 10_000:
                yield "".join(chunk)
                chunk = []
        yield "".join(chunk)
        yield "</sheetData></worksheet>"

    return _package(body())


# --- Large but honest workbooks ----------------------------------------------------------------


def indicator_workbook(rows):
    """An evaluation system of `rows` standards under 20 items × 10 contents each."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("测评体系")
    sheet.append(["某市测评体系（基准）"])
    sheet.append(
        ["测评项目", "测评内容", "测评标准", "分值", "测评方法", "牵头单位", "责任单位", "完成时限"]
    )
    for n in range(rows):
        item, content = n * 20 // rows, n * 200 // rows
        sheet.append(
            [
                f"{item + 1}、测评项目{item + 1}",
                f"测评内容{content + 1}",
                f"第{n + 1}条测评标准：设施完好，管理规范，群众满意",
                0.5 + (n % 4) * 0.25,
                "实地考察、材料审核",
                "市城管局",
                "东城区、西城区",
                datetime.date(2026, 6, 30),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def add_units(campaign):
    """The units the benchmark workbooks name."""
    from campaign.models import Unit

    for name, kind in (("市城管局", "department"), ("东城区", "district"), ("西城区", "district")):
        Unit.objects.get_or_create(campaign=campaign, name=name, defaults={"kind": kind})


def openpyxl_floor(data):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    return cells


# --- Posting a file to every import form, one fresh process each ------------------------------

FORMS = {
    "organisation": ("campaign:organisation_import", {}),
    "indicators": ("campaign:system_import", {}),
    "progress": ("tasks:progress_import", {}),
    "findings": ("inspections:finding_import", {"kind": "mock", "date": "2026-03-03"}),
}


def peak_rss():
    """Peak resident memory of this process in KiB. VmHWM, not ru_maxrss: on Linux ru_maxrss
    carries the parent's peak across fork and exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def post_to_form(form, path):
    """In this (fresh) process: sign in the office, post the file, print seconds, RSS, reply."""
    from bench.run import setup_django

    setup_django()
    from django.test import Client
    from django.urls import reverse

    from campaign.models import Campaign, Membership, Person, Role

    campaign = Campaign.objects.create(
        name="基准测试",
        level=Campaign.Level.NATIONAL,
        city="基准市",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    add_units(campaign)
    office = Person.objects.create_user(username="office", password="x", name="办公室")
    Membership.objects.create(person=office, campaign=campaign, role=Role.OFFICE_ADMIN)
    client = Client()
    client.force_login(office)
    if office.needs_two_factor():  # office admins sign in with an authenticator too
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=office, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    name, extra = FORMS[form]
    client.get(reverse(name))  # warm up: URL conf, templates and catalogues load once
    before = peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as upload:
        response = client.post(reverse(name), {"file": upload, "preview": "1", **extra})
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_rss()
    text = response.content.decode()
    assert response.status_code == 200, response.status_code
    refused = 'id="import-errors"' in text or "invalid-feedback" in text
    print(
        json.dumps(
            {
                "form": form,
                "status": response.status_code,
                "seconds": round(seconds, 2),
                "cpu": round(cpu, 2),
                "rss_mib": round(peak / 1024),
                "rss_before_mib": round(before / 1024),
                "refused": refused,
            }
        )
    )


def hostile(files):
    print(
        f"\n{'file':<20}{'form':<14}{'KiB':>8}{'wall s':>8}{'cpu s':>7}{'peak RSS MiB':>14}  result"
    )
    for label, data in files:
        path = Path(tempfile.mkdtemp()) / f"{label}.xlsx"
        path.write_bytes(data)
        for form in FORMS:
            env = {**os.environ, "SQLITE_PATH": str(Path(tempfile.mkdtemp()) / "b.sqlite3")}
            env.pop("DATABASE_URL", None)
            out = (
                subprocess.run(
                    [sys.executable, __file__, "--post", form, str(path)],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            result = json.loads(out)
            print(
                f"{label:<20}{form:<14}{len(data) / 1024:>8.1f}{result['seconds']:>8.2f}"
                f"{result['cpu']:>7.2f}"
                f"{result['rss_mib']:>14}  {'refused' if result['refused'] else 'read'} "
                f"(status {result['status']})"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000, 200_000])
    parser.add_argument("--skip-hostile", action="store_true")
    parser.add_argument("--post", nargs=2, metavar=("FORM", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.post:
        post_to_form(*args.post)
        return

    from bench.run import setup_django

    setup_django()
    from campaign.indicator_import import read_indicators
    from campaign.models import Campaign

    campaign = Campaign.objects.create(
        name="基准测试",
        level=Campaign.Level.NATIONAL,
        city="基准市",
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    add_units(campaign)
    # CPU seconds beside wall seconds: on a shared machine the wall clock mostly measures
    # the neighbours; the ratio is taken on CPU time.
    print(
        f"{'rows':>8}{'file MiB':>10}{'openpyxl wall/cpu s':>21}{'import wall/cpu s':>19}"
        f"{'× openpyxl':>12}  errors"
    )
    for size in args.sizes:
        data = indicator_workbook(size)
        wall, cpu = time.perf_counter(), time.process_time()
        openpyxl_floor(data)
        floor = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        plan = read_indicators(data, campaign=campaign, filename="bench.xlsx")
        spent = (time.perf_counter() - wall, time.process_time() - cpu)
        assert len(plan.standards) == size, (len(plan.standards), plan.all_errors[:3])
        print(
            f"{size:>8}{len(data) / 2**20:>10.2f}{floor[0]:>13.1f} /{floor[1]:>6.1f}"
            f"{spent[0]:>11.1f} /{spent[1]:>6.1f}{spent[1] / floor[1]:>12.2f}  "
            f"{len(plan.all_errors)}"
        )
    if not args.skip_hostile:
        hostile([("dimension bomb", dimension_bomb()), ("styled empty rows", styled_empty_rows())])


if __name__ == "__main__":
    main()
