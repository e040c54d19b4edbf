"""The bulletin's content: one builder, read by the web page, the PDF and the .docx alike.

A bulletin is a frame (masthead, 第N期, 文号, title, summary, signature, 报/送/发) around a
list of sections. Each `Section` has two functions:

- `collect(source)` reads the week's frozen snapshot (and the ledger, for named items) when
  the bulletin is made or recomputed and returns plain JSON values, stored in
  `Bulletin.data` so a published issue never changes;
- `blocks(data, bulletin)` turns those stored values into blocks: `Heading`, `Paragraph`,
  `Table`, `Chart`, `Photos`. The HTML template and the .docx writer only draw blocks.

To add a section, write its two functions and put a `Section` into `SECTIONS` where it is to
appear. Headings and numbered paragraphs number themselves by the official scheme
一、 （一） 1. （1） (`number_blocks`): a section never writes a number.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaign.documents import chinese_date, heading_number
from campaign.models import Unit
from campaign.templatetags.site_tags import week

from .charts import bar_chart_svg, weekly_chart_svg
from .models import UnitSnapshot
from .periods import iso_period, period_bounds
from .rankings import ANGLE_BY_KEY, ranking, red_black_lists, take_snapshot

# --- Blocks ---------------------------------------------------------------------------------


@dataclass
class Heading:
    text: str
    level: int = 1
    number: str = ""
    kind: str = "heading"


@dataclass
class Paragraph:
    """A paragraph; with `level` it is a numbered item at that heading level."""

    text: str
    style: str = "body"  # body, note, caption, subhead, listing
    level: int | None = None
    number: str = ""
    anchor: str = ""  # an HTML id, for links and tests
    kind: str = "paragraph"


@dataclass
class Table:
    headers: list
    rows: list
    style: str = "items"
    anchor: str = ""
    kind: str = "table"


@dataclass
class Chart:
    """A drawing (SVG). The figures it draws are always in the table that follows it."""

    svg: str
    kind: str = "chart"


@dataclass
class Photos:
    """Photos of a typical case: [(case index, photo index, stored name, label)]."""

    items: list
    kind: str = "photos"


def number_blocks(blocks):
    """Number headings and numbered paragraphs in order: 一、 （一） 1. （1）. A level's count
    starts again under each new item of the level above it."""
    counters = [0, 0, 0, 0]
    for block in blocks:
        level = getattr(block, "level", None)
        if level is None:
            continue
        counters[level - 1] += 1
        counters[level:] = [0] * (4 - level)
        block.number = heading_number(level, counters[level - 1])
    return blocks


# Numbers the office typed in front of an item ("一、", "（二）", "3.", "（4）", "5、").
TYPED_NUMBER = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十\d]+[、.．])\s*"
)


def items_of(text):
    """The non-empty lines of a text the office wrote, without the numbers they typed."""
    return [TYPED_NUMBER.sub("", line).strip() for line in text.splitlines() if line.strip()]


# --- Formatting ------------------------------------------------------------------------------


def num(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        # 100.00 reads "100", 98.50 reads "98.5": as the office writes scores.
        return str(int(value)) if value == value.to_integral() else f"{value.normalize():f}"
    return value


def dash(value):
    return "—" if value in (None, "") else str(value)


def change_words(value, *, rate=False):
    """A change since last week in words: 增加2, 减少1, 持平, 提高3.5个百分点."""
    if value is None:
        return "—"
    number = Decimal(str(value))
    if number == 0:
        return _("unchanged")
    amount = num(abs(number))
    if rate:
        text = _("up %(n)s points") if number > 0 else _("down %(n)s points")
    else:
        text = _("%(n)s more") if number > 0 else _("%(n)s fewer")
    return text % {"n": amount}


def places_words(change):
    """Places moved in a ranking since last week, in words."""
    if change is None:
        return "—"
    if change == 0:
        return _("unchanged")
    if change > 0:
        return _("up %(n)s places") % {"n": change}
    return _("down %(n)s places") % {"n": -change}


# --- Reading the week ------------------------------------------------------------------------


@dataclass
class Source:
    """What the sections read when a bulletin is made: the frozen week and its neighbours."""

    campaign: object
    period: str
    snapshot: object
    bulletin_settings: object
    rows: list = field(default_factory=list)
    previous_rows: list = field(default_factory=list)
    previous_rules: dict = field(default_factory=dict)

    @property
    def start(self):
        return self.snapshot.start

    @property
    def end(self):
        return self.snapshot.end

    def findings(self):
        from inspections.models import Finding

        return Finding.objects.filter(campaign=self.campaign).select_related(
            "unit", "territory", "category"
        )


HEADLINE_FIELDS = [
    "found_week",
    "found_total",
    "closed_week",
    "closed_total",
    "open_count",
    "overdue_count",
    "relapses_week",
    "returned_week",
    "tasks_due",
    "tasks_done",
    "tasks_overdue",
    "critical_week",
]


def headline(rows):
    """Campaign-wide figures: the sum over top-level units (each finding counted once)."""
    top = [r for r in rows if r.unit_path.count("/") == 2]
    total = {name: sum(getattr(r, name) for r in top) for name in HEADLINE_FIELDS}
    total["closure_rate"] = num(UnitSnapshot._rate(total["closed_total"], total["found_total"]))
    total["completion_rate"] = num(UnitSnapshot._rate(total["tasks_done"], total["tasks_due"]))
    return total


def _difference(now, before):
    if now is None or before is None:
        return None
    return num(Decimal(str(now)) - Decimal(str(before)))


# --- 一、 Overall progress ----------------------------------------------------------------------

WEEKS_IN_CHART = 8


def collect_overall(source):
    figures, before = headline(source.rows), headline(source.previous_rows)
    # Every week of the chart is read from that week's frozen snapshot (frozen now if it
    # was not yet), so this week's bar is the table's "new problems found" by construction.
    weekly = []
    for back in range(WEEKS_IN_CHART - 1, -1, -1):
        p = iso_period(source.start - datetime.timedelta(days=7 * back))
        if p == source.period:
            rows = source.rows
        else:
            rows = list(take_snapshot(campaign=source.campaign, period=p).units.all())
        week_figures = headline(rows)
        p_start, _end = period_bounds(p)
        weekly.append(
            {
                "period": p,
                "label": f"{p_start.month}.{p_start.day}",
                "opened": week_figures["found_week"],
                "closed": week_figures["closed_week"],
            }
        )
    return {
        "headline": figures,
        "previous": before,
        "changes": {key: _difference(value, before.get(key)) for key, value in figures.items()},
        "weekly": weekly,
        "districts": [
            {"unit": r.unit_name, "rate": num(r.closure_rate) or 0, "total": r.found_total}
            for r in source.rows
            if r.unit_kind == Unit.Kind.DISTRICT
        ],
    }


def overall_blocks(data, bulletin):
    h, p, c = data.get("headline", {}), data.get("previous", {}), data.get("changes", {})
    rows = [
        (_("New problems found"), "found_week", False),
        (_("Problems closed off"), "closed_week", False),
        (_("Still open"), "open_count", False),
        (_("Overdue"), "overdue_count", False),
        (_("Closure rate to date (%)"), "closure_rate", True),
        (_("Relapses"), "relapses_week", False),
        (_("Rectifications returned"), "returned_week", False),
        (_("Tasks due"), "tasks_due", False),
        (_("Tasks accepted"), "tasks_done", False),
    ]
    blocks = [
        Heading(_("Overall progress")),
        Table(
            [_("Figure"), _("This week"), _("Last week"), _("Since last week")],
            [
                [label, dash(h.get(key)), dash(p.get(key)), change_words(c.get(key), rate=rate)]
                for label, key, rate in rows
            ],
            style="figures",
        ),
    ]
    weekly = data.get("weekly", [])
    if weekly:
        blocks += [
            Paragraph(_("Problems found and closed off, last eight weeks"), style="caption"),
            Chart(weekly_chart_svg(weekly)),
            Table(
                [_("Week"), _("Found"), _("Closed off")],
                [[week(w["period"]), str(w["opened"]), str(w["closed"])] for w in weekly],
                style="figures",
            ),
        ]
    districts = data.get("districts", [])
    if districts:
        blocks += [
            Paragraph(_("Closure rate to date by district (%)"), style="caption"),
            Chart(bar_chart_svg(districts)),
            Table(
                [_("District"), _("Findings to date"), _("Closure rate (%)")],
                [[d["unit"], str(d["total"]), str(d["rate"])] for d in districts],
                style="figures",
            ),
        ]
    return blocks


# --- 二、 Rankings ------------------------------------------------------------------------------

KINDS_IN_BULLETIN = [Unit.Kind.DISTRICT, Unit.Kind.STREET, Unit.Kind.DEPARTMENT]


def collect_rankings(source):
    composite = ANGLE_BY_KEY["composite"]
    rules = source.snapshot.rules
    groups = []
    for kind in KINDS_IN_BULLETIN:
        if not any(r.unit_kind == kind for r in source.rows):
            continue
        items = ranking(
            source.rows, source.previous_rows, composite, rules, source.previous_rules, kind
        )
        groups.append(
            {
                "kind": kind,
                "label": str(Unit.Kind(kind).label),
                "rows": [
                    {
                        "rank": i.rank,
                        "unit": i.row.unit_name,
                        "score": num(i.row.score),
                        "change": i.change,
                        "found_week": i.row.found_week,
                        "closed_week": i.row.closed_week,
                        "open": i.row.open_count,
                        "overdue": i.row.overdue_count,
                        "overdue_days": i.row.overdue_days_week,
                        "relapses": i.row.relapses_week,
                        "returned": i.row.returned_week,
                        "closure_rate": num(i.row.closure_rate),
                        "completion_rate": num(i.row.completion_rate),
                    }
                    for i in items
                ],
            }
        )
    return {"rankings": groups, "rules": rules}


def rankings_blocks(data, bulletin):
    base = num(Decimal(str(data.get("rules", {}).get("base_score", "100"))))
    blocks = [
        Heading(_("Rankings of the week")),
        Paragraph(
            _(
                "Units are ranked against units of the same kind by composite score (out of "
                "%(base)s: points are deducted for the week's problems, overdue working days, "
                "relapses, returned rectifications and unfinished tasks). Equal scores share a "
                "rank."
            )
            % {"base": base},
            style="note",
        ),
    ]
    headers = [
        _("Rank"),
        _("Unit"),
        _("Score"),
        _("Since last week"),
        _("New"),
        _("Closed"),
        _("Not closed off"),
        _("Overdue"),
        _("Relapsed"),
        _("Returned"),
        _("Closure rate (%)"),
        _("Tasks (%)"),
    ]
    for group in data.get("rankings", []):
        blocks.append(Heading(_("%(kind)s ranking") % {"kind": group["label"]}, level=2))
        rows = [
            [
                dash(r["rank"]),
                r["unit"],
                dash(r["score"]),
                places_words(r["change"]),
                *(str(r[k]) for k in ("found_week", "closed_week", "open", "overdue", "relapses")),
                str(r["returned"]),
                dash(r["closure_rate"]),
                dash(r["completion_rate"]),
            ]
            for r in group["rows"]
        ]
        blocks.append(Table(headers, rows, style="ranking"))
    return blocks


# --- 三、 Red and black lists ---------------------------------------------------------------------


def _honours_data(honours):
    return {
        "named": [
            {"unit": i.row.unit_name, "score": num(i.value), "rank": i.rank, "tied": i.tied}
            for i in honours.named
        ],
        "tied_out": {**honours.tied_out, "value": num(honours.tied_out["value"])}
        if honours.tied_out
        else None,
    }


def collect_lists(source):
    settings = source.bulletin_settings
    lists = []
    for kind in KINDS_IN_BULLETIN:
        of_kind = [r for r in source.rows if r.unit_kind == kind]
        if not of_kind:
            continue
        red, black = red_black_lists(
            of_kind, size=settings.list_size, min_activity=settings.list_min_activity
        )
        red, black = _honours_data(red), _honours_data(black)
        lists.append(
            {
                "kind": kind,
                "label": str(Unit.Kind(kind).label),
                "red": red["named"],
                "red_tied_out": red["tied_out"],
                "black": black["named"],
                "black_tied_out": black["tied_out"],
            }
        )
    return {
        "lists": lists,
        "list_rule": {"size": settings.list_size, "min_activity": settings.list_min_activity},
    }


def _names(named, tied_out):
    parts = [f"{i['unit']}（{i['score']}{_('，tied') if i.get('tied') else ''}）" for i in named]
    if tied_out:
        parts.append(
            _("%(count)s units tied for place %(rank)s (%(score)s)")
            % {"count": tied_out["count"], "rank": tied_out["rank"], "score": tied_out["value"]}
        )
    return "、".join(parts) or "—"


def lists_blocks(data, bulletin):
    rule = data.get("list_rule")
    blocks = [Heading(_("Red and black lists"))]
    if rule:
        blocks.append(
            Paragraph(
                _(
                    "At most %(n)s units of each kind on each list, among units with at least "
                    "%(m)s items of work this week. Equal scores are told apart by the closure "
                    "rate, then by fewer problems still open; a place shared at the cut-off is "
                    "not split."
                )
                % {"n": rule["size"], "m": rule["min_activity"]},
                style="note",
            )
        )
    blocks.append(
        Table(
            [_("Kind of unit"), _("Red list (best)"), _("Black list (worst)")],
            [
                [
                    item["label"],
                    _names(item["red"], item.get("red_tied_out")),
                    _names(item["black"], item.get("black_tied_out")),
                ]
                for item in data.get("lists", [])
            ],
            style="lists",
        )
    )
    return blocks


# --- 四、 Overdue and relapsed problems ------------------------------------------------------------


def finding_item(finding, *, end, calendar):
    """A finding as a bulletin names it (frozen)."""
    return {
        "id": finding.pk,
        "code": finding.code,
        "unit": finding.unit.name if finding.unit_id else "",
        "territory": finding.territory.name if finding.territory_id else "",
        "description": finding.description[:120],
        "address": finding.address,
        "found_on": finding.found_on.isoformat(),
        "deadline": finding.deadline.isoformat() if finding.deadline else "",
        "severity": finding.get_severity_display(),
        "supervision": finding.get_supervision_level_display() if finding.supervision_level else "",
        "category": finding.category.name if finding.category_id else "",
        "overdue_days": calendar.working_days_between(finding.deadline, end)
        if finding.deadline and finding.deadline < end
        else 0,
    }


def calendar_for(start, end):
    from campaign.workdays import WorkdayCalendar

    return WorkdayCalendar(start - datetime.timedelta(days=120), end)


def collect_items(source):
    from inspections.models import UNIT_PENDING

    start, end = source.start, source.end
    calendar = calendar_for(start, end)
    findings = source.findings()
    overdue = findings.filter(status__in=UNIT_PENDING, deadline__lt=end, found_on__lte=end)
    relapsed = findings.filter(relapse_of__isnull=False, found_on__range=(start, end))
    return {
        "overdue": [
            finding_item(f, end=end, calendar=calendar)
            for f in overdue.order_by("deadline", "pk")[:30]
        ],
        "relapsed": [
            finding_item(f, end=end, calendar=calendar) for f in relapsed.order_by("pk")[:20]
        ],
    }


def _described(item):
    if item["address"]:
        return f"{item['description']}（{item['address']}）"
    return item["description"]


def items_blocks(data, bulletin):
    blocks = [Heading(_("Overdue and relapsed problems"))]
    if data.get("overdue"):
        blocks.append(
            Table(
                [
                    _("No."),
                    _("Responsible unit"),
                    _("Description of the problem"),
                    _("Rectification deadline"),
                    _("Working days overdue"),
                    _("Supervision"),
                ],
                [
                    [
                        i["code"],
                        i["unit"],
                        _described(i),
                        i["deadline"],
                        str(i["overdue_days"]),
                        i["supervision"] or "—",
                    ]
                    for i in data["overdue"]
                ],
            )
        )
    else:
        blocks.append(Paragraph(_("No problem was past its deadline at the end of the week.")))
    if data.get("relapsed"):
        blocks += [
            Paragraph(_("Relapsed this week:"), style="subhead"),
            Table(
                [
                    _("No."),
                    _("Responsible unit"),
                    _("Description of the problem"),
                    _("Found on"),
                ],
                [[i["code"], i["unit"], _described(i), i["found_on"]] for i in data["relapsed"]],
            ),
        ]
    else:
        blocks.append(Paragraph(_("No closed problem came back this week.")))
    return blocks


# --- Under 四、: hot spots (fieldwork), missed rounds (fieldwork), interviews (约谈) ----------------


def collect_hot_spots(source):
    from fieldwork.services import hot_spots_for_bulletin

    return {"hot_spots": hot_spots_for_bulletin(source.campaign, on=source.end)}


def hot_spots_blocks(data, bulletin):
    if not data.get("hot_spots"):
        return []
    return [
        Paragraph(_("Hot spots (repeated problems or relapses):"), style="subhead"),
        Table(
            [_("Point or area"), _("Problems"), _("Relapses"), _("Before")],
            [
                [s["place"], str(s["count"]), str(s["relapses"]), str(s["previous"])]
                for s in data["hot_spots"]
            ],
            anchor="bulletin-hot-spots",
        ),
    ]


def collect_missed_rounds(source):
    from fieldwork.rounds import missed_in_week

    return {"missed_rounds": missed_in_week(source.campaign, start=source.start, end=source.end)}


def missed_rounds_blocks(data, bulletin):
    """Recurring rounds whose period ended this week without the round done."""
    missed = data.get("missed_rounds")
    if not missed:
        return []
    heading = ngettext(
        "Recurring rounds missed this week: %(n)s",
        "Recurring rounds missed this week: %(n)s",
        len(missed),
    ) % {"n": len(missed)}
    return [Paragraph(heading, style="subhead", anchor="missed-rounds")] + [
        Paragraph(f"{m['schedule']}（{m['start']}—{m['end']}）", style="listing") for m in missed
    ]


def collect_interviews(source):
    from inspections.services import interviews_between

    return {
        "interviews": interviews_between(
            campaign=source.campaign, start=source.start, end=source.end
        )
    }


def interviews_blocks(data, bulletin):
    if not data.get("interviews"):
        return []
    return [
        Paragraph(_("Interviews (约谈) this week:"), style="subhead"),
        Table(
            [
                _("No."),
                _("Responsible unit"),
                _("Interviewed"),
                _("Date"),
                _("Outcome and commitments"),
            ],
            [
                [i["code"], i["unit"], i["interviewees"], i["held_on"], i["outcome"]]
                for i in data["interviews"]
            ],
            anchor="bulletin-interviews",
        ),
    ]


# --- 五、 Typical cases -------------------------------------------------------------------------------

CASES_SUGGESTED = 4


def case_candidates(campaign, *, start, end):
    """Findings that may be a typical case of the week start..end: handed to a unit, with a
    photo before AND after rectification, found by the week's end and not closed off
    before it began, and never of a sampling round not yet released. Most serious first."""
    from django.db.models import Q

    from inspections.models import Finding, FindingPhoto, released_q
    from inspections.models import Status as FindingStatus

    before = FindingPhoto.objects.filter(kind=FindingPhoto.Kind.BEFORE).values("finding")
    after = FindingPhoto.objects.filter(kind=FindingPhoto.Kind.AFTER).values("finding")
    severity_first = {"critical": 0, "serious": 1, "minor": 2}
    found = list(
        Finding.objects.filter(
            campaign=campaign, unit__isnull=False, found_on__lte=end, pk__in=before
        )
        .filter(pk__in=after)
        .exclude(status__in=[FindingStatus.REGISTERED, FindingStatus.VOIDED])
        .filter(released_q())
        .filter(Q(closed_at__isnull=True) | Q(closed_at__date__gte=start))
        .select_related("unit", "territory", "category")
        .order_by("-found_on", "pk")[:200]
    )
    found.sort(key=lambda f: (severity_first.get(f.severity, 3), -f.supervision_level))
    return found


def case_item(finding, *, end, calendar):
    """A typical case as frozen into the bulletin: the finding and one photo before and one
    after rectification."""
    from inspections.models import FindingPhoto

    photos = dict.fromkeys((FindingPhoto.Kind.BEFORE, FindingPhoto.Kind.AFTER), "")
    for photo in finding.photos.filter(kind__in=list(photos)).order_by("uploaded_at", "pk"):
        photos[photo.kind] = photos[photo.kind] or photo.image.name
    return {
        **finding_item(finding, end=end, calendar=calendar),
        "photos": [photos[FindingPhoto.Kind.BEFORE], photos[FindingPhoto.Kind.AFTER]],
    }


def collect_cases(source):
    # The office chooses the cases (`reports.bulletins.choose_cases`); these are suggestions.
    candidates = case_candidates(source.campaign, start=source.start, end=source.end)
    return {"cases": [], "suggested_cases": [f.pk for f in candidates[:CASES_SUGGESTED]]}


def cases_blocks(data, bulletin):
    blocks = [Heading(_("Typical cases"))]
    labels = [_("Before rectification"), _("After rectification")]
    for index, case in enumerate(data.get("cases", [])):
        text = f"{case['unit']}：{case['description']}"
        if case["address"]:
            text += _("（located at %(address)s）") % {"address": case["address"]}
        text += f"，{case['severity']}"
        if case["supervision"]:
            text += f"，{case['supervision']}"
        blocks.append(Paragraph(text + "。", level=2))
        blocks.append(
            Photos(
                [
                    (index, n, name, labels[n] if n < len(labels) else "")
                    for n, name in enumerate(case["photos"])
                    if name
                ]
            )
        )
    if not data.get("cases"):
        blocks.append(Paragraph(_("No typical case was chosen this week.")))
    return blocks


# --- 六、 Requirements for next week ------------------------------------------------------------


def requirements_blocks(data, bulletin):
    return [Heading(_("Requirements for next week"))] + [
        Paragraph(item, level=2) for item in items_of(bulletin.requirements)
    ]


# --- The list of sections ------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    key: str
    collect: object  # Source -> dict of JSON values, merged into Bulletin.data
    blocks: object  # (data, bulletin) -> [blocks]


SECTIONS = [
    Section("overall", collect_overall, overall_blocks),
    Section("rankings", collect_rankings, rankings_blocks),
    Section("lists", collect_lists, lists_blocks),
    Section("items", collect_items, items_blocks),
    Section("hot_spots", collect_hot_spots, hot_spots_blocks),
    Section("missed_rounds", collect_missed_rounds, missed_rounds_blocks),
    Section("interviews", collect_interviews, interviews_blocks),
    Section("cases", collect_cases, cases_blocks),
    Section("requirements", lambda source: {}, requirements_blocks),
]


def collect(source):
    """The frozen values of every section (merged into one dict)."""
    data = {}
    for section in SECTIONS:
        data.update(section.collect(source))
    return data


@dataclass
class Document:
    """Everything a renderer draws: the frame's texts and the numbered blocks."""

    bulletin: object
    masthead: str
    issue: str
    document_number: str
    issuing_office: str
    date: object
    date_text: str
    title: str
    summary: list
    blocks: list
    distribution: list  # [(报/送/发, text)]
    printed: str
    draft_mark: str = ""


def document(bulletin):
    """The bulletin as blocks, from its frozen `data` and its text (one builder, two
    renderers: `_bulletin_body.html` and `reports.exports.render_bulletin_docx_bytes`)."""
    data = bulletin.data or {}
    issued_on = timezone.localdate(bulletin.published_at or bulletin.generated_at)
    date = chinese_date(issued_on)
    issue = _("No. %(n)s") % {"n": bulletin.number}
    if bulletin.is_backfill:
        issue += _("（back-filled）")
    blocks = []
    for section in SECTIONS:
        blocks += section.blocks(data, bulletin)
    distribution = [
        (label, data.get(key))
        for label, key in (
            (_("Report to"), "report_to"),
            (_("Send to"), "send_to"),
            (_("Issue to"), "issue_to"),
        )
        if data.get(key)
    ]
    return Document(
        bulletin=bulletin,
        masthead=data.get("masthead", ""),
        issue=issue,
        document_number=bulletin.document_number,
        issuing_office=data.get("issuing_office", ""),
        date=issued_on,
        date_text=date,
        title=_("Report on the campaign's work in %(week)s") % {"week": week(bulletin.period)},
        summary=[line.strip() for line in bulletin.summary.splitlines() if line.strip()],
        blocks=number_blocks(blocks),
        distribution=distribution,
        printed=_("Printed %(date)s") % {"date": date},
        draft_mark=_("DRAFT — not yet published") if bulletin.is_draft else "",
    )
