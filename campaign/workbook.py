"""Reading the Excel workbooks creation offices circulate: the one base every import uses.

Real workbooks have title rows above a (sometimes two-row, merged) header, merged
cells for upper levels, full-width digits, Chinese dates and lists joined by
assorted punctuation. This module turns such a sheet into clean rows and
collects errors that name sheet, row and column; the importers built on it
(`campaign.services.import_organisation`, the indicator import, task progress
and finding imports) never write anything while an error stands.
"""

import calendar
import datetime
import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

XLSX_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


@dataclass
class RowError:
    """One problem in an uploaded workbook, located as a clerk would look for it."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self):
        return asdict(self)

    def __str__(self):
        where = [self.sheet] if self.sheet else []
        if self.row:
            where.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        return f"{'，'.join(where)}：{self.message}" if where else self.message


class WorkbookInvalid(Exception):
    """Raised with the list of errors when a workbook cannot be imported at all."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def open_workbook(data, filename=""):
    """Open uploaded bytes as an .xlsx workbook, or raise WorkbookInvalid saying why not."""
    if hasattr(data, "read"):
        data = data.read()
    if data[:4] == OLE2_SIGNATURE:
        raise WorkbookInvalid(
            [
                RowError(
                    filename,
                    None,
                    None,
                    _(
                        "This is an old-format Excel file (.xls). Open it in Excel or WPS and save it "
                        "as an .xlsx workbook, then upload it again."
                    ),
                )
            ]
        )
    if data[:4] != XLSX_SIGNATURE:
        raise WorkbookInvalid(
            [RowError(filename, None, None, _("This file is not an Excel workbook (.xlsx)."))]
        )
    try:
        # Normal (not read-only) mode: read-only mode has no merged-cell ranges.
        return load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookInvalid(
            [
                RowError(
                    filename,
                    None,
                    None,
                    _("The workbook could not be read (%(error)s).") % {"error": exc},
                )
            ]
        ) from None


def clean_text(value):
    """Cell value as tidy text: full-width forms folded (１.５ → 1.5), spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def label_key(value):
    """A header label reduced for matching: no spaces, brackets, stars or colons."""
    return re.sub(r"[\s*:：()（）\[\]【】]", "", clean_text(value))


def sheet_grid(sheet):
    """All rows of a sheet as lists of values, merged ranges filled with their top-left value."""
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, merged.max_row):
            for c in range(merged.min_col - 1, merged.max_col):
                if r < len(grid) and c < len(grid[r]):
                    grid[r][c] = value
    return grid


@dataclass
class Header:
    """Where the header was found: the last header row (1-based) and column index per field."""

    row: int
    columns: dict

    def letter(self, field):
        return get_column_letter(self.columns[field] + 1)


def find_header(grid, fields, required, *, max_scan=30):
    """Find the header row by its labels.

    `fields` maps a field name to the labels that may head its column (compared after
    `label_key`; a label matches when it equals or starts with one of them). Two-row
    headers are read by joining each column's labels from a row and the one below it.
    Returns a Header or None when no row carries every required field.
    """
    best = None
    for index in range(min(len(grid), max_scan)):
        candidates = [grid[index]]
        if index + 1 < len(grid):
            below = grid[index + 1]
            candidates.append(
                [
                    label_key(a) + label_key(b) if label_key(a) != label_key(b) else label_key(a)
                    for a, b in zip(grid[index], below, strict=False)
                ]
            )
        for offset, row in enumerate(candidates):
            columns = _match_columns(row, fields)
            # Prefer the candidate that recognises the most columns.
            if required <= columns.keys() and (best is None or len(columns) > len(best.columns)):
                best = Header(row=index + 1 + offset, columns=columns)
        if best:
            return best
    return None


@dataclass
class Table:
    """The data table of an uploaded workbook: its sheet, its cells and where the header is."""

    sheet: str
    grid: list
    header: Header

    def value(self, values, field):
        """The raw cell of `field` in a row, or None when the column is absent."""
        col = self.header.columns.get(field)
        return values[col] if col is not None and col < len(values) else None

    def text(self, values, field):
        return clean_text(self.value(values, field))

    def rows(self):
        """(row number, values) of each data row below the header: no spacers, notes or totals."""
        for number, values in enumerate(self.grid[self.header.row :], start=self.header.row + 1):
            if any(clean_text(v) for v in values) and not is_note_or_total(values):
                yield number, values

    def error(self, row, field, message):
        return RowError(self.sheet, row, self.header.letter(field) if field else None, message)


def locate_table(data, *, fields, required, filename=""):
    """Open an uploaded workbook and find the first sheet whose header has the required columns.

    Raises WorkbookInvalid (not an .xlsx, or no such header) with an error a clerk can act on.
    """
    workbook = open_workbook(data, filename)
    for sheet in workbook.worksheets:
        grid = sheet_grid(sheet)
        header = find_header(grid, fields, required)
        if header:
            return Table(sheet=sheet.title, grid=grid, header=header)
    columns = "、".join(fields[name][0] for name in fields if name in required)
    raise WorkbookInvalid(
        [
            RowError(
                filename or workbook.sheetnames[0],
                None,
                None,
                _("No header row found: the sheet needs at least the columns %(columns)s.")
                % {"columns": columns},
            )
        ]
    )


def _match_columns(row, fields):
    columns = {}
    for col, value in enumerate(row):
        key = label_key(value)
        if not key:
            continue
        for field, labels in fields.items():
            if field in columns:
                continue
            if any(key == label or key.endswith(label) for label in labels):
                columns[field] = col
                break
    return columns


def parse_decimal(value):
    """A number from a cell: 1.5, '１.５', '1.5分'. Raises ValueError when it is not one."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = clean_text(value).removesuffix("分").strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None


_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?(?P<end>底|末|份)?(?:前)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<half>上半年|年中|年底|年末|底|末)(?:前)?$"),
]


def parse_date(value):
    """A date from a cell: a real date, 2026-05-31, 2026/5/31, 2026年5月31日, 2026年5月底, 2026年5月.

    A month without a day means its last day (a deadline 'by May'). Raises ValueError.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = clean_text(value).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["y"])
        if parts.get("half"):
            return (
                datetime.date(year, 6, 30)
                if parts["half"] in ("上半年", "年中")
                else (datetime.date(year, 12, 31))
            )
        month = int(parts["m"])
        try:
            if parts.get("d"):
                return datetime.date(year, month, int(parts["d"]))
            return datetime.date(year, month, calendar.monthrange(year, month)[1])
        except ValueError:
            raise ValueError(value) from None
    raise ValueError(value)


_LIST_SEPARATORS = re.compile(r"[、，,;；/\n]+")


def split_list(value):
    """Items of a joined list: '市城管局、各县区；团市委' → ['市城管局', '各县区', '团市委']."""
    return [item.strip() for item in _LIST_SEPARATORS.split(clean_text(value)) if item.strip()]


# Note and total rows: "注：…", "说明1." …, "合计" — but not data such as "注册志愿者占…".
NOTE_OR_TOTAL = re.compile(
    r"^(注|说明|备注|附注)\s*\d*\s*[:：、.．]|^(合计|总计|小计|总分)(\s|[:：]|$)"
)


def is_note_or_total(row_values):
    """Rows that are notes (注：…) or totals (合计/总计/小计) rather than data."""
    first = next((clean_text(v) for v in row_values if clean_text(v)), "")
    return bool(NOTE_OR_TOTAL.match(first.replace(" ", "")))


class UnitMatcher:
    """Matches unit names from workbooks to units: by name, short name and aliases,
    and collective names (各县区, 各街道, 市直各部门) that stand for every unit of a kind.
    """

    # Collective names and the unit kinds they stand for.
    COLLECTIVES = {
        "各县区": ["district"],
        "各区县": ["district"],
        "各县市区": ["district"],
        "各区": ["district"],
        "各街道": ["street"],
        "各街道镇": ["street"],
        "各镇街": ["street"],
        "各乡镇街道": ["street"],
        "各乡镇": ["street"],
        "各社区": ["community"],
        "各村社区": ["community"],
        "市直各部门": ["department"],
        "各市直部门": ["department"],
        "市直各单位": ["department"],
        "市直相关部门": ["department"],
        "市直有关部门": ["department"],
        "市直有关单位": ["department"],
        "市直各窗口单位": ["department"],
        "市直窗口单位": ["department"],
    }

    def __init__(self, units, extra_mapping=None):
        self.units = list(units)
        self.by_name = {}
        for unit in self.units:
            for name in unit.all_names():
                self.by_name.setdefault(label_key(name), unit)
        # Names the office mapped by hand in a preview: name -> list of units.
        self.extra = {label_key(k): v for k, v in (extra_mapping or {}).items()}

    def match(self, name):
        """Units a single name stands for, or None when it is unknown."""
        key = label_key(name)
        if key in self.extra:
            return list(self.extra[key])
        if key in self.by_name:
            return [self.by_name[key]]
        kinds = self.COLLECTIVES.get(key)
        if kinds:
            return [u for u in self.units if u.kind in kinds]
        return None

    def match_list(self, value):
        """(units, unmatched names) for a joined list of names, units in first-seen order."""
        found, unmatched = [], []
        for name in split_list(value):
            units = self.match(name)
            if units is None:
                unmatched.append(name)
            else:
                found.extend(u for u in units if u not in found)
        return found, unmatched
