"""The one tabular export base: every Excel/CSV list the apps hand out is a subclass.

A subclass gives a title, a filename, the headers and a `rows()` generator; the base
writes the file::

    class FindingExport(TabularExport):
        title = "问题台账"
        filename = "问题台账"
        headers = ["序号", "问题", "责任单位"]
        column_widths = [6, 50, 20]

        def __init__(self, findings):
            self.findings = findings

        def rows(self):
            for n, f in enumerate(self.findings.iterator(chunk_size=500), start=1):
                yield [n, f.text, f.unit.name]

    return FindingExport(queryset).response("xlsx")   # or "csv"

A list whose size has no small bound (ledger, task list, audit log) also gives `count()` and
a builder, `build(*, person, campaign, params)`, that makes the export of the person's scoped
rows filtered by `params` (the list page's query string). Its view answers with
`export_response(request, build, fmt)`: up to EXPORT_INLINE_MAX_ROWS rows the file is made
in the request as above; beyond, an `ExportJob` and its outbox row are written in one
transaction and the person is sent to the job's page, which shows the worker's progress
(the "exports" queue) and then a download link for EXPORT_LINK_HOURS. The worker calls the
same builder for the requester, so the scope is checked again when the file is made.
Lists bounded small by the organisation (a ranking: one row per unit; the evaluation system:
a few hundred standards) give no `count()` and are always made in the request.

XLSX is written with openpyxl's write-only mode, row by row, to an anonymous temporary
file that is streamed back and deleted when the response closes, so a 50,000-row ledger
never sits in memory. Cells that a spreadsheet would run as formulas (text starting with
=, +, -, @, tab or carriage return) are written as plain text in XLSX and escaped with a
leading apostrophe in CSV (formula injection). Dates keep a date format; `None` is an
empty cell. Override `get_title()`, `get_filename()` or `get_headers()` for values that
depend on the request (e.g. the date in a filename).
"""

import codecs
import csv
import datetime
import logging
import tempfile
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from .access import current_campaign_or_404
from .filters import audit_filter_for
from .indicator_import import METHOD_NAMES
from .models import AuditEntry, ExportJob, Standard
from .notifications import notify
from .outbox import enqueue, handler
from .request_context import current_request

logger = logging.getLogger("chuangcheng.exports")

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
INVALID_SHEET_CHARACTERS = "/\\?*[]:"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A worker writes its progress every this many rows (one UPDATE each), not per row.
PROGRESS_EVERY = 5000

_thin = Side(style="thin", color="999999")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_WRAP = Alignment(wrap_text=True, vertical="center")
# Every cell takes one of these named styles, registered once per workbook.
CELL_STYLES = {
    "title": {"font": Font(bold=True, size=14)},
    "header": {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="EEEEEE"),
        "border": _BORDER,
        "alignment": _WRAP,
    },
    "text": {"border": _BORDER, "alignment": _WRAP},
    "date": {"border": _BORDER, "alignment": _WRAP, "number_format": "yyyy-mm-dd"},
    "datetime": {"border": _BORDER, "alignment": _WRAP, "number_format": "yyyy-mm-dd hh:mm"},
}


class _ExportCell(Cell):
    """A write-only cell reused for one column from row to row, with its style's index set
    once. Safe because a write-only sheet writes each cell of an appended row out before it
    reads the next one; 100,000 rows then make 17 cells instead of 1.7 million."""

    __slots__ = ("style_id",)
    has_style = True


def _placed(cells, row_idx):
    """The row's cells with their coordinates, for a write-only sheet's writer."""
    for column, cell in enumerate(cells, start=1):
        cell.row, cell.column = row_idx, column
        yield cell


def escape_csv_value(value):
    """Text a spreadsheet would treat as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        # A number like -3 is data, not a formula: leave numeric text alone.
        try:
            Decimal(value)
            return value
        except ArithmeticError:
            return "'" + value
    return value


class TabularExport:
    """Base for list exports: subclasses set `title`, `filename`, `headers` and `rows()`.

    `column_widths` (characters) is optional; `sheet_title` defaults to the title.
    """

    title = ""
    filename = "export"
    headers = []
    column_widths = None
    sheet_title = None

    def rows(self):
        """Yield one list of cell values per row, in header order."""
        raise NotImplementedError

    def count(self):
        """How many rows `rows()` yields; None for a list bounded small (always made inline)."""
        return None

    def _rows(self, progress):
        """`rows()`, telling `progress(rows so far)` every PROGRESS_EVERY rows and at the end."""
        if progress is None:
            yield from self.rows()
            return
        done = 0
        for done, row in enumerate(self.rows(), start=1):
            yield row
            if done % PROGRESS_EVERY == 0:
                progress(done)
        progress(done)

    def get_title(self):
        return str(self.title)

    def get_filename(self):
        return str(self.filename)

    def get_headers(self):
        return [str(h) for h in self.headers]

    # --- XLSX --------------------------------------------------------------------------
    def _cell(self, cell, value, style=None):
        """`cell` (one per column, reused from row to row) holding `value` in its style."""
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
            style = style or "datetime"
        elif isinstance(value, datetime.date):
            style = style or "date"
        elif value is not None and not isinstance(value, int | float | Decimal | bool):
            value = str(value)
        cell._style, cell.style_id = self._styles[style or "text"]
        cell.value = value
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # never a formula, whatever the text says
        return cell

    def _sheet_name(self):
        # Excel refuses these characters in sheet names and more than 31 characters.
        name = str(self.sheet_title or self.get_title() or "Sheet1")
        for char in INVALID_SHEET_CHARACTERS:
            name = name.replace(char, "·")
        return name[:31]

    def write_xlsx(self, fileobj, progress=None):
        """Write the workbook to an open binary file object."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=self._sheet_name())
        # Each named style once, with its index in the workbook: openpyxl would otherwise hash
        # a cell's border and alignment for every cell, which decided how long a ledger took.
        self._styles = {}
        for name, attributes in CELL_STYLES.items():
            workbook.add_named_style(NamedStyle(name=f"chuangcheng-{name}", **attributes))
            template = WriteOnlyCell(sheet)
            template.style = f"chuangcheng-{name}"
            self._styles[name] = (template._style, template.style_id)
        for index, width in enumerate(self.column_widths or [], start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A3"
        # Our cells go to the writer as they are: openpyxl's own conversion would first try
        # each as a value, fail, and make a blank cell for the next one (a third of the time).
        sheet._values_to_row = _placed
        headers = self.get_headers()
        cells = [_ExportCell(sheet) for _header in headers]
        sheet.append([self._cell(cells[0], self.get_title(), "title")])
        sheet.append([self._cell(c, h, "header") for c, h in zip(cells, headers, strict=True)])
        fill = self._cell
        for row in self._rows(progress):
            sheet.append([fill(c, value) for c, value in zip(cells, row, strict=True)])
        workbook.save(fileobj)

    def xlsx_response(self):
        # An anonymous temp file: gone from disk as soon as the response closes it.
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
        self.write_xlsx(handle)
        handle.seek(0)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{self.get_filename()}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
        return response

    # --- CSV ---------------------------------------------------------------------------
    def csv_lines(self, progress=None):
        """The CSV text line by line (UTF-8 with a BOM so that Excel reads Chinese)."""

        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        yield codecs.BOM_UTF8.decode("utf-8")
        yield writer.writerow(self.get_headers())
        for row in self._rows(progress):
            yield writer.writerow([self._csv_value(v) for v in row])

    @staticmethod
    def _csv_value(value):
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value
        if isinstance(value, datetime.date):
            return value.isoformat()
        return escape_csv_value(str(value))

    def csv_response(self):
        response = StreamingHttpResponse(self.csv_lines(), content_type="text/csv; charset=utf-8")
        name = quote(f"{self.get_filename()}.csv")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response

    def write(self, fileobj, fmt, progress=None):
        """Write the file in `fmt` ("xlsx" or "csv") to an open binary file object."""
        if fmt == "csv":
            for line in self.csv_lines(progress):
                fileobj.write(line.encode("utf-8"))
        else:
            self.write_xlsx(fileobj, progress)

    def response(self, fmt="xlsx"):
        """The download in `fmt` ("xlsx" or "csv"), recorded in the audit log."""
        AuditEntry.record(
            actor=current_request().user,
            action=AuditEntry.Action.EXPORT,
            summary=gettext("Exported “%(title)s” (%(format)s)")
            % {"title": self.get_title() or self.get_filename(), "format": fmt},
            changes={"filename": self.get_filename(), "format": fmt},
        )
        return self.csv_response() if fmt == "csv" else self.xlsx_response()


# --- Large exports, made by a worker -------------------------------------------------------


def builder(func):
    """Mark `func(*, person, campaign, params)` → TabularExport as an export an ExportJob may
    name; it must scope the rows to `person` (404/403 when they may not see the list)."""
    func.is_export_builder = True
    return func


def _builder_for(kind):
    func = import_string(kind)
    if not getattr(func, "is_export_builder", False):
        raise ValueError(f"{kind} is not an export builder")
    return func


def query_dict(params):
    """The list page's query string again, from an ExportJob's `params`."""
    data = QueryDict(mutable=True)
    for name, values in params.items():
        data.setlist(name, values)
    return data


def export_response(request, build, fmt="xlsx"):
    """The export `build` makes of the list as the request filtered it: made in the request
    up to EXPORT_INLINE_MAX_ROWS rows, else queued for a worker and the person sent to the
    job's page. A request never builds a file of more rows than that."""
    campaign = current_campaign_or_404(request)
    fmt = "csv" if fmt == "csv" else "xlsx"
    params = {name: values for name, values in request.GET.lists() if name != "format"}
    export = build(person=request.user, campaign=campaign, params=params)
    total = export.count()
    if total is None or total <= settings.EXPORT_INLINE_MAX_ROWS:
        return export.response(fmt)
    kind = f"{build.__module__}.{build.__qualname__}"
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=request.user,
            campaign=campaign,
            kind=kind,
            title=export.get_title()[:200],
            params=params,
            format=fmt,
            rows_total=total,
        )
        AuditEntry.record(
            actor=request.user,
            action=AuditEntry.Action.EXPORT,
            obj=job,
            summary=gettext(
                "Asked for “%(title)s” (%(format)s, %(rows)s rows), made in the background"
            )
            % {"title": job.title, "format": fmt, "rows": total},
            changes={"kind": kind, "format": fmt, "rows": total, "params": params},
        )
        enqueue("campaign.exports.make_export", key=f"export:{job.pk}", job_id=job.pk)
    return redirect(job)


@handler(atomic=False, queue="exports")
def make_export(*, job_id):
    """Make an ExportJob's file for its requester as they may see the rows now, then mark it
    done and tell them (one transaction); holds no transaction while writing. A job already
    finished is left alone; one interrupted is made again from the start."""
    job = ExportJob.objects.select_related("requested_by", "campaign").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    rows = ExportJob.objects.filter(pk=job.pk)
    rows.update(state=ExportJob.State.RUNNING, rows_done=0)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            export = _builder_for(job.kind)(
                person=job.requested_by, campaign=job.campaign, params=job.params
            )
            if not job.requested_by.is_active:
                raise PermissionDenied
            rows.update(rows_total=export.count() or 0)
            with tempfile.TemporaryFile() as handle:
                export.write(handle, job.format, progress=lambda n: rows.update(rows_done=n))
                handle.seek(0)
                name = job.file.field.generate_filename(
                    job, f"{export.get_filename()}.{job.format}"
                )
                name = job.file.storage.save(name, File(handle))
        except (Http404, PermissionDenied):
            _finish(job, error=gettext("You may no longer see these rows, so nothing was made."))
        except Exception:
            logger.exception("Export %s failed", job.pk)
            _finish(job, error=gettext("The export failed. Please try again or tell the office."))
        else:
            _finish(job, name=name)


def _finish(job, *, name="", error=""):
    now = timezone.now()
    done = not error
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE if done else ExportJob.State.FAILED,
            file=name,
            error=error,
            finished_at=now,
            expires_at=now + datetime.timedelta(hours=settings.EXPORT_LINK_HOURS) if done else None,
        )
        subject = (
            gettext("Your export is ready: %(title)s")
            if done
            else gettext("Your export failed: %(title)s")
        )
        notify(
            recipients=[job.requested_by],
            subject=subject % {"title": job.title},
            body=error
            or gettext("The download link works for %(hours)s hours.")
            % {"hours": settings.EXPORT_LINK_HOURS},
            url=job.get_absolute_url(),
            campaign=job.campaign,
            dedupe_key=f"export:{job.pk}",
        )


def delete_expired_exports(now=None):
    """Delete the files of exports whose link has expired (the rows stay: the audit log and
    the job page name them). Returns how many files went."""
    deleted = 0
    for job in ExportJob.objects.exclude(file="").expired(now).iterator():
        job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    return deleted


# --- The evaluation system written back to Excel ----------------------------------------

DIFFICULTY_NAMES = {
    Standard.Difficulty.EASY: "易",
    Standard.Difficulty.ATTAINABLE: "中",
    Standard.Difficulty.HARD: "难",
}


class IndicatorTreeExport(TabularExport):
    """The tree as a workbook in the shape the import reads, so an export re-imports as it is.

    Upper levels are written as repeated values (the importer accepts them like merged cells).
    """

    def __init__(self, system, standards, nodes):
        self.system = system
        self.standards = standards
        self.nodes = {n.pk: n for n in nodes}
        self.level_names = system.level_names or ["测评项目", "测评内容"]
        self.column_widths = [16] * len(self.level_names) + [8, 50, 6, 14, 8, 16, 16, 30, 12, 8, 10]

    def get_title(self):
        return self.system.name

    def get_filename(self):
        return f"{self.system.name}-{timezone.localdate():%Y%m%d}"

    def get_headers(self):
        return [
            *self.level_names,
            "编号",
            "测评标准",
            "分值",
            "测评方法",
            "一票否决",
            "牵头指挥部",
            "牵头单位",
            "责任单位",
            "完成时限",
            "难易程度",
            "自评",
        ]

    def path(self, standard):
        names, node = [], self.nodes.get(standard.node_id)
        while node is not None:
            names.append(
                f"{node.code}、{node.name}" if node.code and not node.code.isdigit() else node.name
            )
            node = self.nodes.get(node.parent_id)
        names.reverse()
        return names + [""] * (len(self.level_names) - len(names))

    def rows(self):
        assessments = dict(Standard.Assessment.choices)
        for s in self.standards:
            yield [
                *self.path(s),
                s.code,
                s.text,
                s.points,
                "、".join(METHOD_NAMES.get(m, m) for m in s.methods),
                "是" if s.is_veto else "",
                s.lead_command_office.name if s.lead_command_office else "",
                s.lead_unit.name if s.lead_unit else "",
                "、".join(u.name for u in s.responsible_units.all()),
                s.deadline,
                DIFFICULTY_NAMES.get(s.difficulty, ""),
                str(assessments.get(s.assessment, "")),
            ]


class AuditExport(TabularExport):
    """The audit log as the auditor searched it."""

    title = gettext_lazy("Audit log")
    filename = "audit-log"
    headers = [
        gettext_lazy("Time"),
        gettext_lazy("Who"),
        gettext_lazy("Username"),
        gettext_lazy("Action"),
        gettext_lazy("Outcome"),
        gettext_lazy("What"),
        gettext_lazy("IP address"),
        gettext_lazy("User agent"),
        gettext_lazy("Object"),
    ]

    def __init__(self, entries):
        self.entries = entries

    def count(self):
        return self.entries.order_by().count()

    def rows(self):
        for e in self.entries.iterator(chunk_size=2000):
            yield [
                e.at,
                e.actor.name if e.actor else "",
                e.actor.username if e.actor else "",
                e.get_action_display(),
                e.get_outcome_display(),
                e.summary,
                e.ip_address or "",
                e.user_agent,
                f"{e.object_type} {e.object_id}".strip(),
            ]


@builder
def audit_export_for(*, person, campaign, params):
    """The audit log as the auditor `person` searched it."""
    return AuditExport(audit_filter_for(person, campaign, query_dict(params)).qs)
