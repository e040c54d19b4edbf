"""Importing an evaluation system (测评体系) from the workbooks offices circulate.

`read_indicators` turns a workbook into an `IndicatorPlan` and writes nothing: the tree
(2–4 levels, decided by which level columns the header has), every standard with its
points, methods, veto flag, command office, units, deadline and difficulty, the unit names
that match no unit (the office maps them in the preview), every error with sheet, row and
column, and — when a revised edition replaces an existing system — the diff against it.
`apply_indicators` writes a plan with no errors in one transaction. Standards that stay
are updated in place (tasks and findings point at them), dropped ones are retired.
"""

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AuditEntry, CommandOffice, EvaluationSystem, IndicatorNode, Standard, Unit
from .services import remember_aliases
from .tree_cache import touch_trees
from .workbook import (
    CellProblem,
    RowError,
    UnitMatcher,
    WorkbookInvalid,
    clean_text,
    header_key,
    invisible_note,
    is_blank,
    is_note_or_total,
    label_key,
    locate_tables,
    match_key,
    open_workbook,
    parse_date,
    parse_decimal,
    parse_points,
    shown,
    split_known,
    split_list,
)

# The upper levels a header may have, top first. Which of them are present decides the depth.
LEVEL_FIELDS = ["item", "indicator", "content"]
LEVEL_LABELS = {
    "item": gettext_lazy("Item (测评项目)"),
    "indicator": gettext_lazy("Indicator (指标)"),
    "content": gettext_lazy("Content (测评内容)"),
}

CHANGE_LABELS = {
    "text": gettext_lazy("wording"),
    "points": gettext_lazy("points"),
    "place": gettext_lazy("place in the tree"),
    "methods": gettext_lazy("methods or veto"),
    "units": gettext_lazy("units"),
    "deadline": gettext_lazy("deadline"),
    "code": gettext_lazy("code"),
}

# Field → header labels (compared after label_key; a label also matches the end of a
# joined two-row header such as 测评体系 / 测评项目). Order matters: a column goes to the
# first field that claims it, so the longer, more specific labels come first.
INDICATOR_COLUMNS = {
    "code": ["标准编号", "编号", "代码", "指标编号"],
    "item": ["测评项目", "一级指标", "项目"],
    "indicator": ["二级指标", "测评指标", "指标"],
    "content": ["测评内容", "三级指标", "内容"],
    "scoring": ["评分标准", "评分办法", "扣分标准", "评分细则"],
    "standard": ["测评标准", "考核标准", "具体标准", "标准", "测评要求", "具体要求"],
    "points": ["分值", "分数", "标准分", "权重", "分值分"],
    "methods": ["测评方法", "测评方式", "考核方式", "考核方法", "评估方式", "方法"],
    "veto": ["是否一票否决", "一票否决", "否决项", "否决"],
    "command_office": ["牵头指挥部", "责任指挥部", "指挥部", "专项工作组", "工作专班", "牵头专班"],
    "lead": ["牵头单位", "牵头部门", "牵头责任单位"],
    "responsible": ["责任单位", "责任部门", "配合单位", "协办单位", "协同单位"],
    "deadline": ["完成时限", "完成时间", "时限", "时间节点", "截止时间", "完成期限"],
    "difficulty": ["难易程度", "难度分类", "难度", "难易"],
    "note": ["备注"],
}

# Method labels as workbooks write them → Standard.Method. A cell matches when it contains a key.
METHOD_LABELS = {
    "实地考察": Standard.Method.FIELD_CHECK,
    "实地查看": Standard.Method.FIELD_CHECK,
    "实地检查": Standard.Method.FIELD_CHECK,
    "实地测评": Standard.Method.FIELD_CHECK,
    "实地": Standard.Method.FIELD_CHECK,
    "问卷调查": Standard.Method.SURVEY,
    "入户调查": Standard.Method.SURVEY,
    "问卷": Standard.Method.SURVEY,
    "材料审核": Standard.Method.DOCUMENT_REVIEW,
    "资料审核": Standard.Method.DOCUMENT_REVIEW,
    "材料审查": Standard.Method.DOCUMENT_REVIEW,
    "查阅资料": Standard.Method.DOCUMENT_REVIEW,
    "材料": Standard.Method.DOCUMENT_REVIEW,
    "网上申报": Standard.Method.ONLINE_REPORT,
    "网络申报": Standard.Method.ONLINE_REPORT,
    "申报": Standard.Method.ONLINE_REPORT,
    "数据核查": Standard.Method.DATA_CHECK,
    "数据": Standard.Method.DATA_CHECK,
    "负面清单": Standard.Method.NEGATIVE_LIST,
}

DIFFICULTY_LABELS = {
    "易": Standard.Difficulty.EASY,
    "容易": Standard.Difficulty.EASY,
    "较易": Standard.Difficulty.EASY,
    "简单": Standard.Difficulty.EASY,
    "拾遗补缺": Standard.Difficulty.EASY,
    "拾遗补缺就能达标": Standard.Difficulty.EASY,
    "中": Standard.Difficulty.ATTAINABLE,
    "一般": Standard.Difficulty.ATTAINABLE,
    "较难": Standard.Difficulty.ATTAINABLE,
    "经过努力": Standard.Difficulty.ATTAINABLE,
    "经过努力能够达标": Standard.Difficulty.ATTAINABLE,
    "努力可达标": Standard.Difficulty.ATTAINABLE,
    "难": Standard.Difficulty.HARD,
    "困难": Standard.Difficulty.HARD,
    "难度大": Standard.Difficulty.HARD,
    "难度较大": Standard.Difficulty.HARD,
}

VETO_WORDS = ("一票否决",)
YES_WORDS = {"是", "√", "✓", "✔", "Y", "YES", "1", "否决", "一票否决", "是一票否决"}
ROLE_NOTE = re.compile(r"[（(](牵头|配合|协办|协同|责任|主责|参与)(单位|部门)?[)）]")
# Deadlines that are ongoing rather than dated.
ONGOING_WORDS = ("长期", "持续", "常态", "按要求", "按上级要求", "全年", "每年", "随时")
DOCUMENT_NUMBER = re.compile(r"\S*[〔\[［【(（]\s*\d{4}\s*[〕\]］】)）]\s*\d+\s*号")
YEAR = re.compile(r"(20\d{2})\s*年")
ISSUER_ENDINGS = ("办公室", "领导小组", "委员会", "指挥部", "文明办", "创建办", "创文办")
# Numbering in front of an upper-level name: 一、 / (一) / 1. / 1.2 / 第一部分.
NODE_CODE = re.compile(
    r"^(?P<code>[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+(?:\.\d+)+[、.．]?|\d+(?:[、.．]|\s)|第[一二三四五六七八九十\d]+[部分项章]?)\s*(?P<name>\S.*)$"
)
# A dotted code in front of a standard's text (1.2.3 …).
STANDARD_CODE = re.compile(r"^(?P<code>\d+(?:\.\d+)+)\s+(?P<text>\S.*)$", re.S)
# Clause markers of multi-clause standards, in three styles: (1) / 1) or 1、 / ①.
CLAUSE_STYLES = [
    (re.compile(r"[(（](\d{1,2})[)）]"), "paren"),
    (re.compile(r"(?<![\d.])(\d{1,2})[)）]"), "half"),
    (re.compile(r"([①②③④⑤⑥⑦⑧⑨⑩])"), "circled"),
]
CLAUSE_START = re.compile(r"^\s*(?:[(（]\d{1,2}[)）]|\d{1,2}[)）、.．]|[①②③④⑤⑥⑦⑧⑨⑩])")


@dataclass
class PlannedNode:
    """An upper-level node the workbook describes."""

    level: int
    name: str
    code: str
    path: tuple
    row: int
    position: int = 0
    points: Decimal = Decimal("0")
    standard_count: int = 0


@dataclass
class PlannedStandard:
    """One standard read from a row (plus any continuation rows)."""

    row: int
    path: tuple
    code: str
    text: str
    points: Decimal
    methods: list = field(default_factory=list)
    is_veto: bool = False
    command_office: object = None
    lead_unit: object = None
    responsible_units: list = field(default_factory=list)
    deadline: object = None
    difficulty: str = ""
    position: int = 0
    # Filled by the diff against an existing edition.
    match: object = None
    changes: list = field(default_factory=list)

    def method_labels(self):
        return [METHOD_NAMES.get(code, code) for code in self.methods]

    def change_labels(self):
        return [str(CHANGE_LABELS.get(code, code)) for code in self.changes]


@dataclass
class IndicatorDiff:
    """What a revised edition changes in an existing system."""

    added: list = field(default_factory=list)  # PlannedStandard
    removed: list = field(default_factory=list)  # Standard
    reworded: list = field(default_factory=list)  # PlannedStandard (with .match)
    points_changed: list = field(default_factory=list)  # PlannedStandard (with .match)
    other_changed: list = field(default_factory=list)
    unchanged: int = 0

    @property
    def has_changes(self):
        return bool(
            self.added or self.removed or self.reworded or self.points_changed or self.other_changed
        )


@dataclass
class IndicatorPlan:
    """What an evaluation-system workbook would create: the tree, the standards and the errors."""

    filename: str = ""
    sheet: str = ""
    skipped_sheets: list = field(default_factory=list)
    sheets: list = field(default_factory=list)  # SheetNote: read, or skipped and why
    title: str = ""
    document_number: str = ""
    issuer: str = ""
    year: int | None = None
    level_names: list = field(default_factory=list)
    nodes: dict = field(default_factory=dict)  # path tuple → PlannedNode, in workbook order
    standards: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    # Unit name → [(sheet, row, column letter)] for names that match no unit and were not mapped.
    unmatched: dict = field(default_factory=dict)
    has_codes: bool = False
    diff: IndicatorDiff | None = None
    restructure: list = field(default_factory=list)  # why it restructures an existing system

    @property
    def depth(self):
        return len(self.level_names) + 1

    @property
    def level_counts(self):
        """Count per level, top first, the standards last: e.g. [9, 22, 28]."""
        counts = [0] * len(self.level_names)
        for node in self.nodes.values():
            counts[node.level] += 1
        return [*counts, len(self.standards)]

    @property
    def total_points(self):
        return sum((s.points for s in self.standards), Decimal("0"))

    @property
    def unmatched_errors(self):
        return [
            RowError(
                sheet,
                row,
                column,
                _(
                    "Unknown unit “%(name)s”: map it to one or more units in the preview, or add it "
                    "to a unit's aliases."
                )
                % {"name": shown(name)}
                + invisible_note(name),
            )
            for name, places in self.unmatched.items()
            for sheet, row, column in places
        ]

    @property
    def all_errors(self):
        """Everything that forbids applying the plan, structural errors first."""
        return [*self.errors, *self.unmatched_errors]

    def level_summary(self):
        """(level name, count) top first, the standards last."""
        return list(zip([*self.level_names, _("Standards")], self.level_counts, strict=True))

    def top_nodes(self):
        return [n for n in self.nodes.values() if n.level == 0]

    def summary(self):
        """The machine-readable summary the command line prints with --json."""
        total = self.total_points
        return {
            "levels": self.level_counts,
            "standards": len(self.standards),
            "points": int(total) if total == total.to_integral_value() else float(total),
            "unmatched_units": list(self.unmatched),
            "errors": [e.as_dict() for e in self.all_errors],
            "warnings": [e.as_dict() for e in self.warnings],
            "sheets": [
                {"name": n.name, "read": n.read, "reason": str(n.reason), "rows": n.rows}
                for n in self.sheets
            ],
            "restructure": [str(m) for m in self.restructure],
            "diff": self.diff_summary(),
        }

    def diff_summary(self):
        """Added, removed, reworded and moved standards, for --json and the dry run."""
        if self.diff is None:
            return None

        def planned(s):
            return {"row": int(s.row), "code": s.code, "text": s.text, "points": str(s.points)}

        def was(s):
            return {"code": s.match.code, "text": s.match.text, "points": str(s.match.points)}

        return {
            "added": [planned(s) for s in self.diff.added],
            "removed": [
                {"code": s.code, "text": s.text, "points": str(s.points)} for s in self.diff.removed
            ],
            "reworded": [{**planned(s), "was": was(s)} for s in self.diff.reworded],
            "points_changed": [{**planned(s), "was": was(s)} for s in self.diff.points_changed],
            "moved": [
                {**planned(s), "path": list(s.path)}
                for s in self.standards
                if s.match is not None and "place" in s.changes
            ],
            "unchanged": self.diff.unchanged,
        }


# --- Reading -------------------------------------------------------------------------------


def read_indicators(data, *, campaign, filename="", mapping=None, system=None):
    """Parse an evaluation-system workbook into a plan. Writes nothing.

    Every visible sheet with a 测评标准/分值 header and a level column is read, in order
    (a workbook with one sheet per 测评项目 gives one item per sheet when its sheets have
    no 测评项目 column). `mapping` maps unknown unit names (as written in the workbook) to
    lists of units, as the office chose them in the preview. With `system`, the plan also
    carries the diff against that existing edition.
    """
    plan = IndicatorPlan(filename=filename)
    try:
        workbook = open_workbook(data, filename)
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    found, plan.sheets, plan.warnings = locate_tables(
        workbook,
        fields=INDICATOR_COLUMNS,
        required={"standard", "points"},
        accept=lambda header: any(level in header.columns for level in LEVEL_FIELDS),
    )
    plan.skipped_sheets = [note.name for note in plan.sheets if not note.read]
    if not found:
        plan.errors.append(
            RowError(
                filename or workbook.sheets[0].title,
                None,
                None,
                _(
                    "No header row found: a sheet needs the columns 测评标准 and 分值 and at least "
                    "one level column (测评项目, 指标 or 测评内容)."
                ),
            )
        )
        return plan
    first_sheet, first_header = found[0]
    plan.sheet = first_sheet.title
    _read_title_rows(plan, first_sheet.rows, first_header)
    levels = [level for level in LEVEL_FIELDS if level in first_header.columns]
    plan.level_names = [_header_label(first_sheet.rows, first_header, level) for level in levels]
    # One sheet per item: the sheets name the items when they have no item column.
    sheet_items = len(found) > 1 and all("item" not in header.columns for _s, header in found)
    if sheet_items:
        plan.level_names.insert(0, INDICATOR_COLUMNS["item"][0])

    units = list(Unit.objects.filter(campaign=campaign))
    matcher = UnitMatcher(units, extra_mapping=mapping)
    reader = _RowReader(plan, levels, matcher, campaign, item_from_sheet=sheet_items)
    for sheet, header in found:
        sheet_levels = [level for level in LEVEL_FIELDS if level in header.columns]
        if sheet_levels != levels:
            plan.errors.append(
                RowError(
                    sheet.title,
                    header.row,
                    None,
                    _(
                        "This sheet's level columns (%(these)s) differ from those of sheet "
                        "“%(first)s” (%(first_levels)s): give every sheet the same columns."
                    )
                    % {
                        "these": "、".join(str(LEVEL_LABELS[lv]) for lv in sheet_levels),
                        "first": first_sheet.title,
                        "first_levels": "、".join(str(LEVEL_LABELS[lv]) for lv in levels),
                    },
                )
            )
            continue
        reader.read_sheet(sheet, header)
    reader.finish()
    if system is not None and not plan.errors:
        plan.diff = diff_against(plan, system)
        plan.restructure = structural_changes(plan, system)
    elif system is None and plan.title:
        same_name = EvaluationSystem.objects.filter(campaign=campaign, name=plan.title).first()
        if same_name is not None:
            plan.warnings.append(
                RowError(
                    plan.sheet,
                    None,
                    None,
                    _(
                        "The campaign already has a system called “%(name)s”: importing this file "
                        "as a new system makes a second one. To revise it, choose it as the "
                        "system this file replaces."
                    )
                    % {"name": plan.title},
                )
            )
    return plan


# A revised edition that drops more than this share of the standards is a restructure.
MAX_REMOVED_SHARE = Decimal("0.2")


def structural_changes(plan, system, *, max_removed_share=MAX_REMOVED_SHARE):
    """Why applying the plan would restructure the system rather than revise it (or [])."""
    changes = []
    old_levels = list(system.level_names or [])
    if old_levels and old_levels != plan.level_names:
        changes.append(
            _("The levels change from %(old)s to %(new)s.")
            % {"old": " / ".join(old_levels), "new": " / ".join(plan.level_names)}
        )
    current = system.standards.current().count()
    removed = len(plan.diff.removed) if plan.diff else 0
    if current and Decimal(removed) / current > max_removed_share:
        changes.append(
            _("%(removed)s of the %(current)s standards would be removed.")
            % {"removed": removed, "current": current}
        )
    return changes


def _header_label(rows, header, field_name):
    """The label the workbook gave a level column (e.g. 测评项目), for the tree's headings."""
    col = header.columns[field_name]
    for index in (header.index, header.index - 1):
        if 0 <= index < len(rows) and col < len(rows[index][1]):
            key = header_key(rows[index][1][col])
            for label in INDICATOR_COLUMNS[field_name]:
                if key == label:
                    return label
    return INDICATOR_COLUMNS[field_name][0]


def _read_title_rows(plan, rows, header):
    """Title, document number, issuer and year from the rows above the header."""
    labels = {header_key(label) for labels in INDICATOR_COLUMNS.values() for label in labels}
    for _number, values in rows[: header.index]:
        texts = [fold_text(v).replace("\n", " ") for v in values if clean_text(v)]
        if not texts or len(set(texts)) > 2:
            continue  # the first row of a two-row header, or a data-like row
        text = texts[0]
        if any(header_key(t) in labels for t in texts):
            continue
        number = DOCUMENT_NUMBER.search(text)
        if number and not plan.document_number:
            plan.document_number = number.group(0)
        elif text.endswith(ISSUER_ENDINGS) and not plan.issuer and len(text) <= 60:
            plan.issuer = text
        elif not plan.title and len(text) >= 4 and not text.startswith(("附件", "附表")):
            plan.title = text
    for source in (plan.title, plan.document_number):
        match = YEAR.search(source) or re.search(r"(20\d{2})", source)
        if match:
            plan.year = int(match.group(1))
            break


def split_node_code(text):
    """'一、思想道德建设' → ('一', '思想道德建设'); '1.2 理想信念' → ('1.2', '理想信念')."""
    match = NODE_CODE.match(text)
    if not match or not re.search(r"[\u4e00-\u9fff]", match.group("name")):
        return "", text
    code = match.group("code").rstrip("、.． ").strip("(（)）")
    return code, match.group("name").strip()


# Full-width digits, letters, %, and the ideographic space fold to ASCII; Chinese punctuation
# (，。；：（）) stays as written, unlike clean_text's NFKC which would turn ， into ",".
_FOLD = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
_FOLD.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})
_FOLD.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})
_FOLD.update({0xFF05: "%", 0x3000: " ", 0xA0: " "})


def fold_text(value):
    """Display text from a cell: full-width digits folded (１.５ → 1.5), spaces tidied, lines kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_FOLD)
    text = re.sub(r"(?<=\d)．(?=\d)", ".", text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def format_clauses(text):
    """Put each clause of a multi-clause standard on its own line: '(1)…(2)…' → '(1)…\\n(2)…'.

    Only a numbered run that starts at 1 and goes on at 2 counts, so '第1、2条' is left alone.
    """
    for pattern, style in CLAUSE_STYLES:
        markers = list(pattern.finditer(text))
        numbers = [
            str("①②③④⑤⑥⑦⑧⑨⑩".index(m.group(1)) + 1) if style == "circled" else m.group(1)
            for m in markers
        ]
        if len(markers) < 2 or numbers[:2] != ["1", "2"]:
            continue
        pieces, last, expected = [], 0, 2
        for marker, number in zip(markers[1:], numbers[1:], strict=True):
            if number != str(expected):
                continue
            pieces.append(text[last : marker.start()].rstrip())
            last = marker.start()
            expected += 1
        pieces.append(text[last:])
        return "\n".join(piece.strip() for piece in pieces if piece.strip())
    return text


def parse_methods(value):
    """(method codes, unknown labels) for a methods cell.

    Every separator offices use counts: '实地考察+问卷调查', '实地考察 材料审核',
    '数据核查及材料审核'; a bracketed note names a further method ('材料审核（网上申报）').
    """
    codes, unknown = [], []
    cell = re.sub(r"[(（]([^)）]*)[)）]", r"、\1", clean_text(value))
    for item in split_list(cell):
        for label in split_known(item, lambda words: _method_code(words) is not None):
            code = _method_code(label)
            if code is None:
                unknown.append(label)
            elif code not in codes:
                codes.append(code)
    return codes, unknown


def _method_code(label):
    key = label_key(label)
    if not key:
        return None
    exact = METHOD_LABELS.get(key)
    if exact is not None:
        return exact
    # A longer wording such as 实地考察为主: the first method word it contains, if only one kind.
    kinds = {code for words, code in METHOD_LABELS.items() if words in key}
    return kinds.pop() if len(kinds) == 1 else None


class _RowReader:
    """Walks the data rows of the sheets, filling the plan."""

    def __init__(self, plan, levels, matcher, campaign, *, item_from_sheet=False):
        self.plan = plan
        self.levels = levels
        self.item_from_sheet = item_from_sheet
        self.matcher = matcher
        self.offices = list(CommandOffice.objects.filter(campaign=campaign))
        # Lead unit → its command office, when exactly one office has the unit.
        offices_of = {}
        for office_id, unit_id in CommandOffice.units.through.objects.filter(
            commandoffice__campaign=campaign
        ).values_list("commandoffice_id", "unit_id"):
            offices_of.setdefault(unit_id, []).append(office_id)
        by_id = {o.pk: o for o in self.offices}
        self.office_of_unit = {
            unit_id: by_id[ids[0]] for unit_id, ids in offices_of.items() if len(ids) == 1
        }
        # (path, text) → row, to warn about a standard given twice without rescanning.
        self.seen = {}

    def cell(self, values, key):
        col = self.cols.get(key)
        return clean_text(values[col]) if col is not None and col < len(values) else ""

    def raw(self, values, key):
        col = self.cols.get(key)
        return values[col] if col is not None and col < len(values) else None

    def error(self, row, key, message):
        column = self.header.letter(key) if key in self.cols else None
        self.plan.errors.append(RowError(self.sheet_title, row, column, message))

    def read_sheet(self, sheet, header):
        self.sheet_title = sheet.title
        self.header = header
        self.cols = header.columns
        self.merged_below = sheet.merged_below
        self.prefix = ()
        if self.item_from_sheet:
            code, name = split_node_code(fold_text(sheet.title))
            self.prefix = (name,)
            if self.prefix not in self.plan.nodes:
                self.plan.nodes[self.prefix] = PlannedNode(
                    level=0, name=name, code=code, path=self.prefix, row=header.row
                )
        self.path = [None] * len(self.levels)
        self.previous = None
        for row, values in sheet.rows[header.index + 1 :]:
            if is_note_or_total(values):
                self.check_total(values, row)
                continue
            problems = [
                (key, value)
                for key, col in self.cols.items()
                if col < len(values) and isinstance(value := values[col], CellProblem)
            ]
            for key, value in problems:
                self.error(row, key, value.message())
            if problems:
                continue
            self.read_row(row, values)

    def finish(self):
        plan = self.plan
        if not plan.standards and not plan.errors:
            plan.errors.append(
                RowError(plan.sheet, None, None, _("The sheet has a header but no standards."))
            )
        for position, node in enumerate(plan.nodes.values()):
            node.position = position
        # Codes from the place in the tree (1.2.3), counted in one pass.
        sibling_number, child_count, standard_count = {}, {}, {}
        for node in plan.nodes.values():
            parent = node.path[:-1]
            child_count[parent] = child_count.get(parent, 0) + 1
            sibling_number[node.path] = child_count[parent]
        for position, standard in enumerate(plan.standards):
            standard.position = position
            standard_count[standard.path] = standard_count.get(standard.path, 0) + 1
            if not standard.code:
                standard.code = ".".join(
                    [
                        *(
                            str(sibling_number[standard.path[:d]])
                            for d in range(1, len(standard.path) + 1)
                        ),
                        str(standard_count[standard.path]),
                    ]
                )
            for depth in range(1, len(standard.path) + 1):
                node = plan.nodes[standard.path[:depth]]
                node.points += standard.points
                node.standard_count += 1

    def check_total(self, values, row):
        """A 合计 row with a value (not a formula without a cached result) must match the sum."""
        raw = self.raw(values, "points")
        first = next((clean_text(v) for v in values if clean_text(v)), "")
        if is_blank(raw) or not first.replace(" ", "").startswith(("合计", "总计", "总分")):
            return
        try:
            stated = parse_decimal(raw)
        except ValueError:
            return
        total = self.plan.total_points
        if stated != total:
            self.plan.warnings.append(
                RowError(
                    self.sheet_title,
                    row,
                    self.header.letter("points"),
                    _("The total row says %(stated)s points; the standards add up to %(total)s.")
                    % {"stated": stated, "total": total},
                )
            )

    def read_row(self, row, values):
        plan = self.plan
        std_col = self.cols["standard"]
        text = fold_text(self.raw(values, "standard"))
        points_raw = self.raw(values, "points")
        points_text = clean_text(points_raw)

        # The standard cell merged down over this row: same standard, more units.
        if (row, std_col) in self.merged_below and self.previous is not None:
            self.add_units(self.previous, values, row)
            return
        path = self.read_path(values, row)
        if path is None:
            return
        if not text:
            if points_text or any(
                self.cell(values, key)
                for key in ("methods", "lead", "responsible", "deadline", "code")
            ):
                self.error(row, "standard", _("The standard's text is empty."))
            return  # a heading row that only names upper levels
        # A clause on its own row without points continues the standard above it.
        if (
            not points_text
            and self.previous is not None
            and self.previous.path == path
            and CLAUSE_START.match(text)
        ):
            self.previous.text = f"{self.previous.text}\n{text}"
            self.add_units(self.previous, values, row)
            return

        code = self.cell(values, "code")
        match = STANDARD_CODE.match(text)
        if match and not code:
            code, text = match.group("code"), match.group("text")
        if code:
            plan.has_codes = True
        text = format_clauses(text) if "\n" not in text else text
        is_veto = any(word in text for word in VETO_WORDS)
        if "veto" in self.cols:
            veto_text = match_key(self.cell(values, "veto")).upper()
            is_veto = is_veto or veto_text in YES_WORDS
        is_veto = is_veto or any(
            word in self.cell(values, key)
            for word in VETO_WORDS
            for key in ("methods", "note", "scoring")
        )
        if "否决" in points_text or (is_veto and is_blank(points_raw)):
            # A veto item carries no points of its own: blank, "—" or "一票否决" mean 0.
            points, is_veto = Decimal("0"), True
        elif is_blank(points_raw):
            self.error(row, "points", _("This standard has no points (分值)."))
            return
        else:
            try:
                points = parse_points(points_raw)
            except ValueError as exc:
                self.error(row, "points", str(exc.args[0]))
                return
        methods, unknown = parse_methods(self.cell(values, "methods"))
        for label in unknown:
            self.error(
                row,
                "methods",
                _(
                    "Unknown assessment method “%(method)s”: use 实地考察, 问卷调查, 材料审核, "
                    "网上申报, 数据核查 or 负面清单."
                )
                % {"method": shown(label)},
            )
        standard = PlannedStandard(
            row=row, path=path, code=code, text=text, points=points, methods=methods
        )
        standard.sheet = self.sheet_title
        standard.is_veto = is_veto
        self.read_units(standard, values, row)
        self.read_command_office(standard, values, row)
        self.read_deadline(standard, values, row)
        self.read_difficulty(standard, values, row)
        first = self.seen.setdefault((path, text), row)
        if first != row:
            plan.warnings.append(
                RowError(
                    self.sheet_title,
                    row,
                    self.header.letter("standard"),
                    _("The same standard already appears in row %(row)s.") % {"row": first},
                )
            )
        plan.standards.append(standard)
        self.previous = standard

    def read_path(self, values, row):
        """The upper-level names of this row; an empty cell repeats the one above it
        unless a higher level changed on this row."""
        changed = False
        for depth, level in enumerate(self.levels):
            name = fold_text(self.raw(values, level)).replace("\n", " ")
            if name:
                code, name = split_node_code(name)
                if name != self.path[depth]:
                    changed = True
                self.path[depth] = name
                key = (*self.prefix, *self.path[: depth + 1])
                if key not in self.plan.nodes:
                    self.plan.nodes[key] = PlannedNode(
                        level=len(self.prefix) + depth, name=name, code=code, path=key, row=row
                    )
                    # Lower levels start afresh under a new node.
                    for lower in range(depth + 1, len(self.levels)):
                        self.path[lower] = None
            elif changed or self.path[depth] is None:
                self.error(
                    row,
                    level,
                    _("The %(level)s is empty.") % {"level": LEVEL_LABELS[level]},
                )
                return None
        return (*self.prefix, *self.path)

    def add_units(self, standard, values, row):
        extra = PlannedStandard(row=row, path=standard.path, code="", text="", points=0)
        self.read_units(extra, values, row)
        if standard.lead_unit is None and extra.lead_unit is not None:
            standard.lead_unit = extra.lead_unit
        for unit in [extra.lead_unit, *extra.responsible_units]:
            if unit not in (None, standard.lead_unit, *standard.responsible_units):
                standard.responsible_units.append(unit)

    def match_names(self, text, row, key):
        """Units for each name in a cell, in order; unknown names are noted for the mapping form."""
        result = []
        # "市城管局（牵头）", "各县区等": the role note and a trailing 等 are not part of the name.
        text = ROLE_NOTE.sub("", text)
        for raw in self.matcher.names(text):
            name = raw.removesuffix("等").strip() or raw
            units = self.matcher.match(name)
            if units is None:
                places = self.plan.unmatched.setdefault(name, [])
                place = (self.sheet_title, row, self.header.letter(key))
                if place not in places:
                    places.append(place)
                continue
            result.append((name, units))
        return result

    def read_units(self, standard, values, row):
        lead_names = self.match_names(self.cell(values, "lead"), row, "lead")
        responsible = []
        if lead_names:
            first_units = lead_names[0][1]
            if len(first_units) == 1:
                standard.lead_unit = first_units[0]
            else:
                responsible.extend(first_units)
            for _name, units in lead_names[1:]:
                responsible.extend(units)
        for _name, units in self.match_names(self.cell(values, "responsible"), row, "responsible"):
            responsible.extend(units)
        for unit in responsible:
            if unit != standard.lead_unit and unit not in standard.responsible_units:
                standard.responsible_units.append(unit)

    def read_command_office(self, standard, values, row):
        name = self.cell(values, "command_office")
        if name:
            key = label_key(name)
            office = next(
                (
                    o
                    for o in self.offices
                    if label_key(o.name) == key
                    or label_key(o.name).startswith(key)
                    or key.startswith(label_key(o.name))
                ),
                None,
            )
            if office is None:
                self.error(
                    row,
                    "command_office",
                    _(
                        "Unknown command office “%(name)s”: add it on the command offices page "
                        "first, or correct the name."
                    )
                    % {"name": name},
                )
            standard.command_office = office
        elif standard.lead_unit is not None:
            standard.command_office = self.office_of_unit.get(standard.lead_unit.pk)

    def read_deadline(self, standard, values, row):
        raw = self.raw(values, "deadline")
        text = clean_text(raw)
        if is_blank(raw) or any(word in text for word in ONGOING_WORDS):
            return
        try:
            standard.deadline = parse_date(raw)
        except ValueError:
            self.error(
                row,
                "deadline",
                _(
                    "The deadline “%(value)s” is not a date: write e.g. 2026-05-31, 2026年5月31日 "
                    "or 2026年5月底."
                )
                % {"value": text},
            )

    def read_difficulty(self, standard, values, row):
        text = self.cell(values, "difficulty")
        if not text:
            return
        key = label_key(text)
        difficulty = DIFFICULTY_LABELS.get(key) or next(
            (code for words, code in DIFFICULTY_LABELS.items() if len(words) > 1 and words in key),
            None,
        )
        if difficulty is None:
            self.error(
                row,
                "difficulty",
                _("Unknown difficulty “%(value)s”: use 易, 中 or 难.") % {"value": text},
            )
        else:
            standard.difficulty = difficulty


# --- Comparing with an existing edition ----------------------------------------------------


def node_paths(system):
    """Node id → tuple of names from the top, for every node of a system."""
    nodes = {n.pk: n for n in system.nodes.all()}
    paths = {}

    def path_of(node):
        if node.pk not in paths:
            parent = nodes.get(node.parent_id)
            paths[node.pk] = (*path_of(parent), node.name) if parent else (node.name,)
        return paths[node.pk]

    for node in nodes.values():
        path_of(node)
    return paths


def _similarity(a, b):
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= 0.5 else 0


def diff_against(plan, system):
    """Pair the plan's standards with a system's current ones and say what changes.

    Pairs by code when the workbook has codes, then by identical text, then by text
    similarity among standards under the same upper levels. Sets `match` and `changes`
    on each planned standard.
    """
    paths = node_paths(system)
    old = list(
        system.standards.current().prefetch_related("responsible_units").order_by("position")
    )
    free = {s.pk: s for s in old}
    pending = list(plan.standards)
    for planned in pending:
        planned.match, planned.changes = None, []

    def pair(planned, standard):
        planned.match = standard
        free.pop(standard.pk)

    if plan.has_codes:
        by_code = {s.code: s for s in old if s.code}
        for planned in pending:
            standard = by_code.get(planned.code)
            if planned.code and standard and standard.pk in free:
                pair(planned, standard)
    by_text = {}
    for standard in old:
        by_text.setdefault(standard.text, []).append(standard)
    for same_path in (True, False):
        for planned in pending:
            if planned.match:
                continue
            standard = next(
                (
                    s
                    for s in by_text.get(planned.text, ())
                    if s.pk in free and (paths[s.node_id] == planned.path or not same_path)
                ),
                None,
            )
            if standard:
                pair(planned, standard)
    # Reworded standards: the most similar free standard under the same upper levels.
    candidates = []
    for planned in pending:
        if planned.match:
            continue
        for standard in free.values():
            if paths[standard.node_id] == planned.path:
                score = _similarity(standard.text, planned.text)
                if score >= 0.5:
                    candidates.append((score, planned.row, planned, standard))
    for _score, _row, planned, standard in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if planned.match is None and standard.pk in free:
            pair(planned, standard)

    diff = IndicatorDiff(removed=list(free.values()))
    for planned in pending:
        standard = planned.match
        if standard is None:
            diff.added.append(planned)
            continue
        if standard.text != planned.text:
            planned.changes.append("text")
            diff.reworded.append(planned)
        if standard.points != planned.points:
            planned.changes.append("points")
            diff.points_changed.append(planned)
        others = _other_changes(standard, planned, paths)
        if others and not planned.changes:
            diff.other_changed.append(planned)
        planned.changes.extend(others)
        if not planned.changes:
            diff.unchanged += 1
    return diff


def _other_changes(standard, planned, paths):
    changes = []
    if paths[standard.node_id] != planned.path:
        changes.append("place")
    if standard.methods != planned.methods or standard.is_veto != planned.is_veto:
        changes.append("methods")
    if standard.lead_unit_id != getattr(planned.lead_unit, "pk", None) or {
        u.pk for u in standard.responsible_units.all()
    } != {u.pk for u in planned.responsible_units}:
        changes.append("units")
    if standard.deadline != planned.deadline:
        changes.append("deadline")
    if planned.code and standard.code != planned.code:
        changes.append("code")
    return changes


# --- Applying -------------------------------------------------------------------------------


@transaction.atomic
def apply_indicators(plan, *, campaign, actor, system=None, details=None, mapping=None):
    """Write a plan with no errors; returns the system.

    A new system is created unless `system` is given, in which case the plan is a revised
    edition of it: standards that stay are updated in place (what hangs on them stays),
    new ones are added, dropped ones are retired (kept for the record, no longer shown).
    `details` may set name, year, issuer, city_group and pass_mark. `mapping` (the unit
    names the office mapped in the preview) is remembered as aliases for the next import.
    """
    if plan.all_errors:
        raise WorkbookInvalid(plan.all_errors)
    if mapping:
        remember_aliases(campaign=campaign, mapping=mapping)
    details = {k: v for k, v in (details or {}).items() if v not in (None, "")}
    now = timezone.now()
    if system is None:
        system = EvaluationSystem(campaign=campaign)
        created = True
    else:
        system = EvaluationSystem.objects.select_for_update().get(pk=system.pk)
        created = False
    system.name = details.get("name") or system.name or plan.title or plan.filename
    system.year = details.get("year") or system.year or plan.year
    system.issuer = details.get("issuer") or system.issuer or plan.issuer
    system.city_group = details.get("city_group", system.city_group)
    if "pass_mark" in details:
        system.pass_mark = details["pass_mark"]
    system.document_number = plan.document_number or system.document_number
    system.level_names = plan.level_names
    system.source_filename = plan.filename[:255]
    system.imported_at = now
    system.save()

    diff = diff_against(plan, system) if not created else IndicatorDiff(added=plan.standards)
    nodes = _apply_nodes(plan, system, now)
    for planned in plan.standards:
        standard = planned.match or Standard(system=system)
        standard.node = nodes[planned.path]
        standard.code = planned.code
        standard.text = planned.text
        standard.points = planned.points
        standard.methods = planned.methods
        standard.is_veto = planned.is_veto
        standard.lead_unit = planned.lead_unit
        if planned.command_office is not None or standard.pk is None:
            standard.lead_command_office = planned.command_office
        standard.deadline = planned.deadline
        if planned.difficulty:
            standard.difficulty = planned.difficulty
        standard.position = planned.position
        standard.retired_at = None
        standard.save()
        standard.responsible_units.set(planned.responsible_units)
    Standard.objects.filter(pk__in=[s.pk for s in diff.removed]).update(retired_at=now)
    touch_trees(pk=system.pk)  # the retired rows and nodes left the tree without a save

    counts = {
        "added": len(diff.added),
        "removed": len(diff.removed),
        "reworded": len(diff.reworded),
        "points_changed": len(diff.points_changed),
        "standards": len(plan.standards),
        "points": str(plan.total_points),
    }
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        obj=system,
        campaign=campaign,
        summary=(
            _(
                "Imported the evaluation system %(name)s: %(standards)s standards, %(points)s points."
            )
            if created
            else _(
                "Imported a revised edition of %(name)s: %(added)s added, %(removed)s removed, "
                "%(reworded)s reworded, %(points_changed)s with new points."
            )
        )
        % {"name": system.name, **counts},
        changes={"file": plan.filename, "sheet": plan.sheet, **counts},
    )
    return system


def _apply_nodes(plan, system, now):
    """Create or update the upper-level nodes; retire those the edition drops. Path → node."""
    existing = {}
    paths = node_paths(system)
    for node in system.nodes.all():
        existing.setdefault(paths[node.pk], node)
    result = {}
    for planned in plan.nodes.values():
        node = existing.pop(planned.path, None) or IndicatorNode(system=system)
        node.parent = result.get(planned.path[:-1]) if planned.level else None
        node.level = planned.level
        node.code = planned.code
        node.name = planned.name
        node.position = planned.position
        node.retired_at = None
        node.save()
        result[planned.path] = node
    IndicatorNode.objects.filter(pk__in=[n.pk for n in existing.values()]).update(retired_at=now)
    return result


# Assessment methods as the workbooks name them (read here, written by IndicatorTreeExport).
METHOD_NAMES = {
    Standard.Method.FIELD_CHECK: "实地考察",
    Standard.Method.SURVEY: "问卷调查",
    Standard.Method.DOCUMENT_REVIEW: "材料审核",
    Standard.Method.ONLINE_REPORT: "网上申报",
    Standard.Method.DATA_CHECK: "数据核查",
    Standard.Method.NEGATIVE_LIST: "负面清单",
}
