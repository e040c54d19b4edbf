"""Reading the Excel workbooks creation offices circulate: the one reader every import uses.

Real workbooks have title rows above a (sometimes two-row, merged) header, merged
cells for upper levels, hidden helper columns, one sheet per chapter, full-width
digits, Chinese dates and lists joined by assorted punctuation. This module streams
an .xlsx file into clean rows (bounded in time and memory whatever its declared size),
finds each sheet's header by exact labels, and collects errors that name sheet, row
and column. The importers built on it (organisation, evaluation system, task progress,
findings) never write anything while an error stands.

Free text is kept exactly as typed; names and labels are normalised only to compare them
(`match_key`, `label_key`).
"""

import bisect
import calendar
import datetime
import functools
import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from posixpath import join as join_path
from posixpath import normpath
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

XLSX_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"  # the old binary .xls format, and encrypted .xlsx
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")

# What the reader accepts at most. Beyond these a workbook is refused with a message, so a
# small file that declares (or compresses) a huge sheet cannot exhaust a worker.
MAX_ROW = 300_000  # row number of the last cell with a value
MAX_COLUMN = 256  # column IV
MAX_VALUE_CELLS = 3_000_000  # cells with a value, all sheets together
MAX_CELL_ELEMENTS = 3_000_000  # cells including styled empty ones (used-range inflation)
MAX_XML_BYTES = 400 * 1024 * 1024  # uncompressed XML read, all parts together
CHUNK = 1024 * 1024

# Characters that cannot be seen but make two names differ.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


@dataclass
class RowError:
    """One problem in an uploaded workbook, located as a clerk would look for it."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self):
        return {**asdict(self), "row": int(self.row) if self.row else self.row}

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


def _refuse(filename, message):
    return WorkbookInvalid([RowError(filename, None, None, message)])


# --- Cell values that are not values ----------------------------------------------------------


class CellProblem(str):
    """A cell that holds no usable value: an error (#N/A) or a formula Excel never calculated."""

    def message(self):
        if self == FORMULA_WITHOUT_VALUE:
            return _(
                "The cell holds a formula whose result was not saved: open the file in Excel or "
                "WPS, let it calculate, save it, and upload it again (or type the value)."
            )
        return _("The cell shows the error “%(error)s”: correct the formula or type the value.") % {
            "error": str(self)
        }


FORMULA_WITHOUT_VALUE = CellProblem("=?")
# What Excel shows in a cell whose formula failed; copied as text it is still no value.
EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!"}


def _text_or_problem(text):
    return CellProblem(text.strip()) if text.strip() in EXCEL_ERRORS else text


# --- Streaming the .xlsx package ---------------------------------------------------------------


@dataclass
class Sheet:
    """One worksheet as read: the rows that have a visible value, and its merged ranges."""

    title: str
    hidden: bool = False
    rows: list = field(default_factory=list)  # (row number, [values]) in order
    merged: list = field(default_factory=list)  # (min_row, min_col, max_row, max_col), 1-based
    merged_below: set = field(default_factory=set)  # (row, col 0-based) filled from above
    hidden_rows: list = field(default_factory=list)  # numbers of hidden rows that had values
    hidden_columns: list = field(default_factory=list)  # letters of hidden columns with values


@dataclass
class Workbook:
    filename: str
    sheets: list


class _Budget:
    """Counts what has been read across a workbook and refuses past the limits."""

    def __init__(self, filename):
        self.filename = filename
        self.xml_bytes = 0
        self.cells = 0
        self.elements = 0

    def too_large(self):
        return _refuse(
            self.filename,
            _(
                "The workbook is too large to import: at most %(rows)s rows, %(columns)s columns "
                "and %(cells)s filled cells. Split it, or delete stray content far below or to "
                "the right of the table."
            )
            % {"rows": f"{MAX_ROW:,}", "columns": MAX_COLUMN, "cells": f"{MAX_VALUE_CELLS:,}"},
        )


def _stream(package, name, parser, budget):
    """Feed one part of the package to an expat parser in chunks, counting bytes."""
    with package.open(name) as part:
        while chunk := part.read(CHUNK):
            budget.xml_bytes += len(chunk)
            if budget.xml_bytes > MAX_XML_BYTES:
                raise budget.too_large()
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _no_dtd(*_args):
    # Workbooks never need a DTD; refusing them rules out entity expansion bombs.
    raise ValueError("DTD")


def _parser(start=None, end=None, text=None):
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 65536
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    return parser


def _local(name):
    return name.rpartition(":")[2] if ":" in name else name


def _parse_small(package, name, budget):
    """(tag, attributes) of every element of a small part, in order."""
    elements = []
    parser = _parser(start=lambda tag, attrs: elements.append((_local(tag), attrs)))
    _stream(package, name, parser, budget)
    return elements


def _shared_strings(package, name, budget):
    strings, parts, state = [], [], {"in_t": False, "skip": 0}

    def start(tag, _attrs):
        tag = _local(tag)
        if tag == "si":
            parts.clear()
        elif tag == "t" and not state["skip"]:
            state["in_t"] = True
        elif tag in ("rPh", "phoneticPr"):
            state["skip"] += 1

    def end(tag):
        tag = _local(tag)
        if tag == "si":
            strings.append("".join(parts))
        elif tag == "t":
            state["in_t"] = False
        elif tag in ("rPh", "phoneticPr"):
            state["skip"] -= 1

    def text(data):
        if state["in_t"]:
            parts.append(data)

    _stream(package, name, _parser(start, end, text), budget)
    return strings


_DATE_FORMAT_IDS = {14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58}


def _date_styles(package, name, budget):
    """Indexes of cell styles whose number format shows a date."""
    formats, styles, in_xfs = {}, [], False
    for tag, attrs in _parse_small(package, name, budget):
        if tag == "numFmt":
            code = re.sub(r'"[^"]*"|\[[^]]*]|\\.', "", attrs.get("formatCode", "")).lower()
            formats[int(attrs.get("numFmtId", 0))] = bool(re.search(r"[yd]", code))
        elif tag == "cellXfs":
            in_xfs = True
        elif tag in ("cellStyleXfs", "cellStyles", "dxfs"):
            in_xfs = False
        elif tag == "xf" and in_xfs:
            styles.append(int(attrs.get("numFmtId", 0)))
    return {index for index, fmt in enumerate(styles) if formats.get(fmt, fmt in _DATE_FORMAT_IDS)}


_COLUMN_INDEX = {}


def column_index(letters):
    """0-based index of a column given by its letters (A → 0)."""
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for char in letters:
            index = index * 26 + ord(char) - 64
        index -= 1
        if len(_COLUMN_INDEX) < 20_000:
            _COLUMN_INDEX[letters] = index
    return index


_REF = re.compile(r"([A-Z]{1,3})(\d+)")


class _SheetReader:
    """Expat handlers that keep only cells with a value, in visible rows and columns."""

    def __init__(self, sheet, strings, date_styles, epoch, budget):
        self.sheet, self.strings, self.date_styles = sheet, strings, date_styles
        self.epoch, self.budget = epoch, budget
        self.hidden_cols = set()
        self.hidden_with_values = set()
        self.row_number = 0
        self.row_hidden = False
        self.values = None
        self.col = -1
        self.cell_type = None
        self.cell_attrs = {}
        self.text = None  # list while inside <v> or <t>
        self.value_text = None
        self.inline = []
        self.has_formula = False
        self.in_inline = False
        self.skip = 0

    def start(self, tag, attrs):
        tag = _local(tag)
        if tag == "c":
            self.budget.elements += 1
            if self.budget.elements > MAX_CELL_ELEMENTS:
                raise self.budget.too_large()
            # The reference is parsed only for cells with a value (in `end`): most cells of
            # an inflated sheet are styled and empty.
            self.col += 1
            self.cell_attrs = attrs
            self.value_text = None
            self.has_formula = False
            self.inline = []
        elif tag == "v" or tag == "t" and self.in_inline and not self.skip:
            self.text = []
        elif tag == "is":
            self.in_inline = True
        elif tag == "rPh":
            self.skip += 1
        elif tag == "f":
            self.has_formula = True
        elif tag == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.row_hidden = attrs.get("hidden") in ("1", "true")
            self.values = []
            self.col = -1
        elif tag == "col" and attrs.get("hidden") in ("1", "true"):
            low, high = int(attrs.get("min", 1)), int(attrs.get("max", 1))
            self.hidden_cols.update(range(low - 1, min(high, MAX_COLUMN)))
        elif tag == "mergeCell":
            cells = _REF.findall(attrs.get("ref", ""))
            if len(cells) == 2:
                (c1, r1), (c2, r2) = cells
                self.sheet.merged.append(
                    (int(r1), column_index(c1) + 1, int(r2), column_index(c2) + 1)
                )

    def end(self, tag):
        tag = _local(tag)
        if tag == "v":
            self.value_text = "".join(self.text)
            self.text = None
        elif tag == "t" and self.text is not None:
            self.inline.append("".join(self.text))
            self.text = None
        elif tag == "is":
            self.in_inline = False
        elif tag == "rPh":
            self.skip -= 1
        elif tag == "c":
            attrs = self.cell_attrs
            self.cell_type = attrs.get("t")
            value = self.cell_value()
            if value is None or value == "":
                return
            ref = attrs.get("r")
            if ref:
                match = _REF.match(ref)
                if match:
                    self.col = column_index(match.group(1))
            if self.row_number > MAX_ROW or self.col >= MAX_COLUMN:
                raise self.budget.too_large()
            self.budget.cells += 1
            if self.budget.cells > MAX_VALUE_CELLS:
                raise self.budget.too_large()
            if self.col in self.hidden_cols:
                self.hidden_with_values.add(self.col)
                return
            values = self.values
            if values is None:  # a cell outside <row>: not valid, ignored
                return
            if self.col >= len(values):
                values.extend([None] * (self.col + 1 - len(values)))
            values[self.col] = value
        elif tag == "row":
            if self.values:
                if self.row_hidden:
                    self.sheet.hidden_rows.append(self.row_number)
                else:
                    self.sheet.rows.append((self.row_number, self.values))
            self.values = None

    def data(self, text):
        if self.text is not None:
            self.text.append(text)

    def cell_value(self):
        kind, raw = self.cell_type, self.value_text
        if kind == "inlineStr":
            return _text_or_problem("".join(self.inline))
        if raw is None or (not raw.strip() and kind not in ("s", "str")):
            return FORMULA_WITHOUT_VALUE if self.has_formula else None
        if kind == "s":
            try:
                return _text_or_problem(self.strings[int(raw)])
            except (ValueError, IndexError):
                return None
        if kind == "str":
            return _text_or_problem(raw)
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return CellProblem(raw.strip())
        if kind == "d":
            try:
                return datetime.datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        try:
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            return raw
        style = self.cell_attrs.get("s")
        if style is not None and int(style) in self.date_styles:
            try:
                return from_excel(number, epoch=self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number


def _fill_merges(sheet):
    """Give every cell of a merged range its top-left value, in rows that have values."""
    numbers = [number for number, _values in sheet.rows]
    by_number = dict(sheet.rows)
    filled = 0
    for min_row, min_col, max_row, max_col in sheet.merged:
        top = by_number.get(min_row)
        value = top[min_col - 1] if top is not None and min_col - 1 < len(top) else None
        if value is None:
            continue
        last_col = min(max_col, MAX_COLUMN)
        start = bisect.bisect_left(numbers, min_row)
        end = bisect.bisect_right(numbers, max_row)
        for number in numbers[start:end]:
            values = by_number[number]
            if len(values) < last_col:
                values.extend([None] * (last_col - len(values)))
            for col in range(min_col - 1, last_col):
                values[col] = value
                if number != min_row:
                    sheet.merged_below.add((number, col))
            filled += last_col - min_col + 1
            if filled > MAX_VALUE_CELLS:
                return False
    return True


def read_workbook(data, filename=""):
    """Stream uploaded bytes into a Workbook, or raise WorkbookInvalid saying why not.

    Only cells with values are kept: styled empty rows and an inflated used range cost
    nothing. Hidden rows and columns are left out (and listed on the sheet).
    """
    if hasattr(data, "read"):
        data = data.read()
    if data[:4] == OLE2_SIGNATURE:
        if ENCRYPTED_MARK in data[:1_000_000] or ENCRYPTED_MARK in data:
            raise _refuse(
                filename,
                _(
                    "The workbook is protected by a password. Open it in Excel or WPS, remove "
                    "the password (file encryption), save it and upload it again."
                ),
            )
        raise _refuse(
            filename,
            _(
                "This is an old-format Excel file (.xls). Open it in Excel or WPS and save it "
                "as an .xlsx workbook, then upload it again."
            ),
        )
    if data[:4] != XLSX_SIGNATURE:
        raise _refuse(filename, _("This file is not an Excel workbook (.xlsx)."))
    budget = _Budget(filename)
    try:
        return _read_package(data, filename, budget)
    except WorkbookInvalid:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        KeyError,
        ValueError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        IndexError,
        expat.ExpatError,
    ):
        # The exception text is English and technical: the clerk needs what to do instead.
        raise _refuse(
            filename,
            _(
                "The workbook is damaged or not a real .xlsx file and could not be read. Open "
                "it in Excel or WPS, save it again as .xlsx, and upload the saved copy."
            ),
        ) from None


def _read_package(data, filename, budget):
    package = zipfile.ZipFile(io.BytesIO(data))
    names = set(package.namelist())
    rels = {}
    for tag, attrs in _parse_small(package, "xl/_rels/workbook.xml.rels", budget):
        if tag == "Relationship":
            target = attrs.get("Target", "")
            path = (
                target.lstrip("/") if target.startswith("/") else normpath(join_path("xl", target))
            )
            rels[attrs.get("Id")] = (attrs.get("Type", ""), path)
    epoch = CALENDAR_WINDOWS_1900
    entries = []
    for tag, attrs in _parse_small(package, "xl/workbook.xml", budget):
        if tag == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif tag == "sheet":
            rel = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            entries.append((attrs.get("name", ""), attrs.get("state", "visible"), rel))
    strings, date_styles = [], set()
    for kind, path in rels.values():
        if kind.endswith("/sharedStrings") and path in names:
            strings = _shared_strings(package, path, budget)
        elif kind.endswith("/styles") and path in names:
            date_styles = _date_styles(package, path, budget)
    sheets = []
    for title, state, rel in entries:
        kind, path = rels.get(rel, ("", ""))
        if not kind.endswith("/worksheet") or path not in names:
            continue  # chart sheets and dialog sheets have no cells
        sheet = Sheet(title=title, hidden=state != "visible")
        reader = _SheetReader(sheet, strings, date_styles, epoch, budget)
        _stream(package, path, _parser(reader.start, reader.end, reader.data), budget)
        sheet.hidden_columns = [get_column_letter(c + 1) for c in sorted(reader.hidden_with_values)]
        if not _fill_merges(sheet):
            raise budget.too_large()
        sheets.append(sheet)
    if not sheets:
        raise _refuse(filename, _("The workbook has no worksheet."))
    return Workbook(filename=filename, sheets=sheets)


def open_workbook(data, filename=""):
    """The workbook's sheets, read once (see `read_workbook`)."""
    return read_workbook(data, filename)


# --- Text --------------------------------------------------------------------------------------


def clean_text(value):
    """A cell's text as typed: numbers without a trailing .0, surrounding blanks removed.

    Nothing else changes: Chinese punctuation, full-width brackets and line breaks stay, so
    what is stored is what the office wrote (compare with `match_key`).
    """
    if type(value) is str:  # the common case, first
        return (value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value).strip()
    if value is None or isinstance(value, CellProblem):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        value = value.date()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def one_line(value):
    """Text for a name: as typed, but on one line with single spaces."""
    return re.sub(r"\s+", " ", clean_text(value))


def match_key(value):
    """Text reduced for comparing names: full-width folded, no blanks, no invisible marks."""
    return _match_key(clean_text(value))


@functools.lru_cache(maxsize=65536)
def _match_key(text):
    # Names repeat on every row of a large workbook: each is reduced once.
    text = unicodedata.normalize("NFKC", INVISIBLE.sub("", text))
    return _BLANKS.sub("", text).casefold()


_BLANKS = re.compile(r"\s+")
_LABEL_MARKS = re.compile(r"[*:()\[\]【】]")


def label_key(value):
    """A name reduced for matching: as match_key, without brackets, stars or colons."""
    return _LABEL_MARKS.sub("", match_key(value))


def header_key(value):
    """A header label reduced for matching: a bracketed note such as （分） or (可多选) dropped."""
    return re.sub(r"[*:]|\([^)]*\)|\[[^]]*]|【[^】]*】", "", match_key(value))


def shown(text):
    """Text for a message, invisible characters made visible (⟨U+200B⟩)."""
    return INVISIBLE.sub(lambda m: f"⟨U+{ord(m.group(0)):04X}⟩", str(text))


def invisible_note(text):
    """A note naming the invisible characters in a value, or ''."""
    found = sorted({f"U+{ord(c):04X}" for c in INVISIBLE.findall(str(text))})
    if not found:
        return ""
    return _("(it contains invisible characters: %(chars)s)") % {"chars": ", ".join(found)}


# --- Finding the table -------------------------------------------------------------------------


@dataclass
class Header:
    """Where the header was found: the last header row (1-based) and column index per field."""

    row: int
    columns: dict
    index: int = 0  # position of the last header row in the sheet's list of rows

    def letter(self, field):
        return get_column_letter(self.columns[field] + 1)


def _lookup(fields):
    table = {}
    for name, labels in fields.items():
        for label in labels:
            table.setdefault(header_key(label), name)
    return table


def _match_columns(labels, lookup):
    """Field → column for a row of header labels (each column a list of candidate keys)."""
    columns = {}
    for col, keys in enumerate(labels):
        for key in keys:
            name = lookup.get(key)
            if name is not None:
                if name not in columns:
                    columns[name] = col
                break
    return columns


def find_header(rows, fields, required, *, max_scan=30):
    """Find the header among the first rows of a sheet by exact labels (see `header_key`).

    `fields` maps a field name to the labels that may head its column. A two-row header
    (a group label such as 责任单位 merged over 牵头单位 | 配合单位) is read column by column:
    the lower label when it has one, else the label above. Of all candidates, the one that
    recognises the most columns wins, so a title row above a grouped header is not mistaken
    for its first row. Returns a Header or None when no candidate has every required field.
    """
    lookup = _lookup(fields)
    best, best_count = None, 0
    scan = rows[:max_scan]
    for index, (number, values) in enumerate(scan):
        upper = [header_key(v) for v in values]
        single = _match_columns([[k] for k in upper], lookup)
        candidates = [(single, index, number)]
        if index + 1 < len(scan) and scan[index + 1][0] == number + 1:
            below = [header_key(v) for v in scan[index + 1][1]]
            width = max(len(upper), len(below))
            upper_padded = upper + [""] * (width - len(upper))
            below_padded = below + [""] * (width - len(below))
            joined = [
                [b, a, a + b] if b and b != a else [a]
                for a, b in zip(upper_padded, below_padded, strict=True)
            ]
            candidates.append((_match_columns(joined, lookup), index + 1, scan[index + 1][0]))
        for columns, at, row in candidates:
            if required <= columns.keys() and len(columns) > best_count:
                best, best_count = Header(row=row, columns=columns, index=at), len(columns)
    return best


class RowNumber(int):
    """A row number that remembers its sheet and header, for errors in multi-sheet imports."""

    def __new__(cls, number, sheet, header):
        value = super().__new__(cls, number)
        value.sheet, value.header = sheet, header
        return value


class Cells(list):
    """A row's values, knowing the header of their sheet."""

    __slots__ = ("header",)


@dataclass
class SheetNote:
    """What became of one sheet: read, or skipped and why (shown in every preview)."""

    name: str
    read: bool
    reason: str = ""
    rows: int = 0


@dataclass
class Table:
    """The data table of an uploaded workbook: one or more sheets with the same kind of header."""

    sheet: str
    sheets: list  # (Sheet, Header)
    header: Header
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def value(self, values, field):
        """The raw cell of `field` in a row, or None when the column is absent."""
        header = getattr(values, "header", self.header)
        col = header.columns.get(field)
        return values[col] if col is not None and col < len(values) else None

    def text(self, values, field):
        return clean_text(self.value(values, field))

    def rows(self):
        """(row number, values) of each data row below a header: no spacers, notes or totals."""
        for sheet, header in self.sheets:
            for number, values in sheet.rows[header.index + 1 :]:
                if is_note_or_total(values):
                    continue
                cells = Cells(values)
                cells.header = header
                yield RowNumber(number, sheet.title, header), cells

    def error(self, row, field, message):
        sheet = getattr(row, "sheet", self.sheet)
        header = getattr(row, "header", self.header)
        column = header.letter(field) if field and field in header.columns else None
        return RowError(sheet, row, column, message)

    def problems(self, row, values, fields=None):
        """Errors for cells of the table's columns that hold #N/A-style errors or
        formulas without a saved result."""
        header = getattr(values, "header", self.header)
        return [
            RowError(getattr(row, "sheet", self.sheet), row, header.letter(name), value.message())
            for name, col in header.columns.items()
            if (fields is None or name in fields)
            and col < len(values)
            and isinstance(value := values[col], CellProblem)
        ]


def sheet_warnings(sheet):
    """Hidden rows and columns that held values: ignored, and said so."""
    warnings = []
    if sheet.hidden_rows:
        shown_rows = "、".join(str(n) for n in sheet.hidden_rows[:10])
        more = "…" if len(sheet.hidden_rows) > 10 else ""
        warnings.append(
            RowError(
                sheet.title,
                None,
                None,
                _("%(count)s hidden rows were ignored (rows %(rows)s%(more)s).")
                % {"count": len(sheet.hidden_rows), "rows": shown_rows, "more": more},
            )
        )
    if sheet.hidden_columns:
        warnings.append(
            RowError(
                sheet.title,
                None,
                None,
                _("Hidden columns were ignored: %(columns)s.")
                % {"columns": "、".join(sheet.hidden_columns)},
            )
        )
    return warnings


def locate_tables(workbook, *, fields, required, accept=None):
    """Every visible sheet whose header has the required columns, with a note on each sheet.

    Sheets whose header recognises different columns from the first are still read
    (each row is read through its own sheet's header). Returns (sheets, notes, warnings).
    """
    found, notes, warnings = [], [], []
    for sheet in workbook.sheets:
        if sheet.hidden:
            if sheet.rows:
                notes.append(SheetNote(sheet.title, False, _("hidden sheet")))
            continue
        header = find_header(sheet.rows, fields, required)
        if header is None or (accept is not None and not accept(header)):
            if sheet.rows:
                notes.append(SheetNote(sheet.title, False, _("no header row with the columns")))
            continue
        notes.append(SheetNote(sheet.title, True, rows=max(0, len(sheet.rows) - header.index - 1)))
        found.append((sheet, header))
        warnings.extend(sheet_warnings(sheet))
    return found, notes, warnings


def no_header_error(filename, fields, required, workbook=None):
    columns = "、".join(fields[name][0] for name in fields if name in required)
    return RowError(
        filename or (workbook.sheets[0].title if workbook else ""),
        None,
        None,
        _("No header row found: the sheet needs at least the columns %(columns)s.")
        % {"columns": columns},
    )


def locate_table(data, *, fields, required, filename=""):
    """Read an uploaded workbook and gather every sheet whose header has the required columns.

    Raises WorkbookInvalid (not an .xlsx, too large, or no such header) with an error a
    clerk can act on.
    """
    workbook = read_workbook(data, filename)
    found, notes, warnings = locate_tables(workbook, fields=fields, required=required)
    if not found:
        raise WorkbookInvalid([no_header_error(filename, fields, required, workbook)])
    sheet, header = found[0]
    return Table(sheet=sheet.title, sheets=found, header=header, notes=notes, warnings=warnings)


# --- Values ------------------------------------------------------------------------------------

# Cells that say "nothing here" rather than leaving the cell blank.
DASHES = {"-", "--", "—", "——", "－", "/", "／", "\\", "无", "N/A", "n/a"}


def is_blank(value):
    text = clean_text(value)
    return not text or text in DASHES


def parse_decimal(value):
    """A number from a cell: 1.5, '１.５', '1.5分'. Raises ValueError when it is not one."""
    if isinstance(value, (bool, CellProblem)):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        text = unicodedata.normalize("NFKC", clean_text(value)).removesuffix("分").strip()
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def parse_points(value, *, maximum=Decimal("1000")):
    """Points (分值) as Decimal: 0 ≤ p ≤ 1000 with at most two decimals.

    Raises ValueError with a message the clerk can act on.
    """
    try:
        points = parse_decimal(value)
    except ValueError:
        raise ValueError(
            _("The points “%(value)s” are not a number.") % {"value": clean_text(value)}
        ) from None
    if points < 0 or points > maximum:
        raise ValueError(
            _("The points “%(value)s” are out of range: they must be between 0 and %(max)s.")
            % {"value": clean_text(value), "max": maximum}
        )
    if points != points.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        raise ValueError(
            _("The points “%(value)s” have more than two decimal places.")
            % {"value": clean_text(value)}
        )
    return points


_DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})月?(?P<end>底|末|份)?(?:前)?$"),
    re.compile(r"^(?P<y>\d{4})年(?P<half>上半年|年中|年底|年末|底|末)(?:前)?$"),
]
# Excel day numbers of 1982–2118: a date typed into a cell formatted as a number.
SERIAL_DATES = (30000, 80000)


def parse_date(value):
    """A date from a cell: a real date, an Excel day number, 2026-05-31, 2026/5/31, 2026.5.31,
    2026年5月31日, 2026年5月底, 2026年5月.

    A month without a day means its last day (a deadline 'by May'). Raises ValueError.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if SERIAL_DATES[0] < value < SERIAL_DATES[1]:
            return from_excel(value).date()
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", clean_text(value)).replace(" ", "")
    if re.fullmatch(r"\d{5}(\.\d+)?", text) and SERIAL_DATES[0] < float(text) < SERIAL_DATES[1]:
        return from_excel(float(text)).date()
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


# Separators offices put between the items of a list. Brackets protect what is inside them:
# 各县（市、区） is one name.
_SEPARATORS = set("、，,;；/／+＋\n")
_OPEN, _CLOSE = "(（[【〔", ")）]】〕"
# Words that may also join two items (数据核查及材料审核) — only split on when every part is known.
JOINING_WORDS = re.compile(r"[及和与]|\s+")


def split_list(value):
    """Items of a joined list: '市城管局、各县区；团市委' → ['市城管局', '各县区', '团市委'].

    Splits on 、，,;；/+ and line breaks, never inside brackets.
    """
    items, current, depth = [], [], 0
    for char in clean_text(value):
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and char in _SEPARATORS:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def split_known(item, is_known):
    """An item split on 及/和/与/spaces when it is not known as a whole but every part is."""
    if is_known(item):
        return [item]
    parts = [p for p in JOINING_WORDS.split(item) if p]
    if len(parts) > 1 and all(is_known(p) for p in parts):
        return parts
    return [item]


# Note and total rows: "注：…", "说明1." …, "合计" — but not data such as "注册志愿者占…".
NOTE_OR_TOTAL = re.compile(
    r"^(注|说明|备注|附注)\s*\d*\s*[:：、.．]|^(合计|总计|小计|总分)(\s|[:：]|$)"
)


def is_note_or_total(row_values):
    """Rows that are notes (注：…) or totals (合计/总计/小计) rather than data."""
    for value in row_values:
        if value is not None and (first := clean_text(value)):
            return bool(NOTE_OR_TOTAL.match(first.replace(" ", "")))
    return False


class UnitMatcher:
    """Matches unit names from workbooks to units: by name, short name and aliases (the
    unit's own and those the office chose in earlier imports), and collective names (各县区,
    各街道, 市直各部门) that stand for every unit of a kind.
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
        kinds = self.COLLECTIVES.get(re.sub(r"[、，,]", "", key))
        if kinds:
            return [u for u in self.units if u.kind in kinds]
        return None

    def names(self, value):
        """The names in a cell: split on separators, and on 及/和/spaces between known names."""
        result = []
        for item in split_list(value):
            result.extend(split_known(item, lambda name: self.match(name) is not None))
        return result

    def match_list(self, value):
        """(units, unmatched names) for a joined list of names, units in first-seen order."""
        found, unmatched = [], []
        for name in self.names(value):
            units = self.match(name)
            if units is None:
                unmatched.append(name)
            else:
                found.extend(u for u in units if u not in found)
        return found, unmatched
