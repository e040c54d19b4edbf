"""Scale data for benchmarks: a whole city's campaign of a named size, reproducible by seed.

    .venv/bin/python bench/generate.py --size city [--seed 1]     (into DATABASE_URL)

`generate(size, seed=…)` builds one campaign: the unit tree with three people per unit, an
evaluation system, tasks with their history, findings with their ledger events, inspection
points (a third of the findings logged at one), and weekly snapshots. Big tables go in with PostgreSQL COPY (explicit ids, sequences reset after);
on SQLite, with bulk inserts. Every random choice comes from one `random.Random(seed)`, so
two runs of the same size and seed make the same city.
"""

import argparse
import datetime
import json
import random
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class Size:
    """How big a city: the tree is districts × streets × communities plus departments."""

    districts: int
    streets: int
    communities: int
    departments: int
    items: int
    contents: int
    standards: int
    tasks: int
    findings: int
    weeks: int
    points_per_community: int


SIZES = {
    # A few seconds on SQLite: enough rows for every page and query shape (the CI run).
    "smoke": Size(2, 3, 3, 4, 3, 6, 20, 60, 400, 4, 2),
    # The same city as "city" with a tenth of the findings: page times must not grow between.
    "20k": Size(9, 9, 9, 60, 12, 90, 200, 10_000, 20_000, 150, 5),
    # ~880 units, ~2,650 people, 200 standards, 10k tasks, 220k findings, ~1.3M history rows,
    # ~3,600 inspection points.
    "city": Size(9, 9, 9, 60, 12, 90, 200, 10_000, 220_000, 150, 5),
}

# The personas the runner signs in as (usernames are fixed; every password is "demo1234").
OFFICE, DISTRICT_LEADER, STREET_LIAISON = "bench-office", "bench-district", "bench-street"
PASSWORD = "demo1234"
# The last generated week ends on the Sunday before this day; "today" in the data.
TODAY = datetime.date(2026, 11, 23)


class Writer:
    """Append rows to one table: COPY on PostgreSQL, bulk inserts elsewhere. Explicit ids."""

    def __init__(self, model, fields):
        from django.db import connection

        self.model, self.fields, self.connection = model, fields, connection
        self.columns = [model._meta.get_field(f).column for f in fields]
        self.next_id = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        self.count = 0

    def write(self, rows):
        """`rows`: an iterable of tuples in `fields` order, without the id. Returns first id."""
        first = self.next_id
        table = self.model._meta.db_table
        if self.connection.vendor == "postgresql":
            columns = ", ".join(["id", *self.columns])
            sql = f"COPY {table} ({columns}) FROM STDIN"
            with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row((self.next_id, *row))
                    self.next_id += 1
        else:
            batch = []
            for row in rows:
                batch.append(
                    self.model(pk=self.next_id, **dict(zip(self._attnames, row, strict=True)))
                )
                self.next_id += 1
                if len(batch) == 2000:
                    self.model.objects.bulk_create(batch)
                    batch = []
            self.model.objects.bulk_create(batch)
        self.count += self.next_id - first
        return first

    @property
    def _attnames(self):
        return [self.model._meta.get_field(f).attname for f in self.fields]

    def close(self):
        """Move the table's id sequence past the ids written here (PostgreSQL)."""
        if self.connection.vendor == "postgresql":
            table = self.model._meta.db_table
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )


def _aware(day, hour=9, minute=0):
    from django.utils import timezone

    naive = datetime.datetime.combine(day, datetime.time(hour, minute))
    return timezone.make_aware(naive, timezone.get_default_timezone())


@dataclass(frozen=True)
class Part:
    """A unit's part of a generated task, as `Task.rolled_up` reads it."""

    unit: int
    role: str
    status: str
    progress: int
    submitted_at: datetime.datetime | None
    accepted_at: datetime.datetime | None


def _part(unit_id, role, status, deadline, rng):
    """A part in `status`: handed in a few days before the deadline (and not after the data's
    today), accepted two days after."""
    handed_in = status in ("submitted", "accepted")
    submitted = _aware(min(deadline - datetime.timedelta(days=rng.randrange(0, 10)), TODAY), 15)
    return Part(
        unit_id,
        role,
        status,
        100 if handed_in else 0 if status == "not_started" else rng.randrange(10, 90, 10),
        submitted if handed_in else None,
        submitted + datetime.timedelta(days=2) if status == "accepted" else None,
    )


# --- Organisation ----------------------------------------------------------------------------


def build_units(campaign, size):
    """The unit tree, one bulk insert per level, paths filled in after (they need ids)."""
    from campaign.models import Unit

    def level(specs):
        made = Unit.objects.bulk_create(
            [Unit(campaign=campaign, name=n, kind=k, parent=p) for n, k, p in specs]
        )
        for unit in made:
            unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk:07d}/"
            unit.depth = unit.path.count("/") - 2
        Unit.objects.bulk_update(made, ["path", "depth"], batch_size=500)
        return made

    districts = level([(f"第{d + 1}区", Unit.Kind.DISTRICT, None) for d in range(size.districts)])
    streets = level(
        [
            (f"{d.name}第{s + 1}街道", Unit.Kind.STREET, d)
            for d in districts
            for s in range(size.streets)
        ]
    )
    communities = level(
        [
            (f"{s.name}第{c + 1}社区", Unit.Kind.COMMUNITY, s)
            for s in streets
            for c in range(size.communities)
        ]
    )
    departments = level(
        [(f"市直部门{n + 1}", Unit.Kind.DEPARTMENT, None) for n in range(size.departments)]
    )
    return districts, streets, communities, departments


def build_people(campaign, units, offices):
    """Three people per unit (leader, liaison, deputy liaison), the office, inspectors,
    leaders and command staff; the three personas are the first district's leader, its
    first street's liaison and an office admin."""
    from django.contrib.auth.hashers import make_password

    from campaign.models import Membership, Person, Role

    password = make_password(PASSWORD)
    specs = []  # (username, name, role, unit, command office)
    for unit in units:
        specs += [
            (f"u{unit.pk}-leader", f"{unit.name}负责人", Role.UNIT_LEADER, unit, None),
            (f"u{unit.pk}-liaison", f"{unit.name}联络员", Role.UNIT_LIAISON, unit, None),
            (f"u{unit.pk}-deputy", f"{unit.name}副联络员", Role.UNIT_LIAISON, unit, None),
        ]
    specs += [(f"office{n}", f"创建办{n}", Role.OFFICE_ADMIN, None, None) for n in range(5)]
    specs += [(f"inspector{n}", f"督查员{n}", Role.INSPECTOR, None, None) for n in range(20)]
    specs += [(f"leader{n}", f"领导{n}", Role.LEADER, None, None) for n in range(10)]
    specs += [
        (f"cmd{o.pk}-{n}", f"{o.name}{n}", Role.COMMAND_STAFF, None, o)
        for o in offices
        for n in range(2)
    ]
    people = Person.objects.bulk_create(
        [Person(username=u, name=n, password=password) for u, n, *_rest in specs],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(person=p, campaign=campaign, role=role, unit=unit, command_office=office)
            for p, (_u, _n, role, unit, office) in zip(people, specs, strict=True)
        ],
        batch_size=1000,
    )
    return {p.username: p for p in people}


def build_system(campaign, size, offices, departments, districts, streets, rng):
    """An evaluation system of items → contents → standards, each standard with a lead
    command office, a lead department and about fifty responsible units."""
    from campaign.models import EvaluationSystem, IndicatorNode, Standard

    system = EvaluationSystem.objects.create(
        campaign=campaign,
        name="全国文明城市测评体系（基准）",
        year=2025,
        level_names=["测评项目", "测评内容"],
    )
    items = IndicatorNode.objects.bulk_create(
        [
            IndicatorNode(
                system=system, level=0, code=f"{i + 1}", name=f"测评项目{i + 1}", position=i
            )
            for i in range(size.items)
        ]
    )
    contents = IndicatorNode.objects.bulk_create(
        [
            IndicatorNode(
                system=system,
                parent=items[c % len(items)],
                level=1,
                code=f"{c % len(items) + 1}.{c // len(items) + 1}",
                name=f"测评内容{c + 1}",
                position=size.items + c,
            )
            for c in range(size.contents)
        ]
    )
    methods = [m for m, _label in Standard.Method.choices]
    standards = Standard.objects.bulk_create(
        [
            Standard(
                system=system,
                node=contents[s % len(contents)],
                code=f"S{s + 1:03d}",
                text=f"第{s + 1}条测评标准：公共场所秩序良好，无乱贴乱画、乱堆乱放现象",
                points=Decimal(rng.choice(["0.5", "1", "1.5", "2"])),
                methods=rng.sample(methods, 2),
                lead_command_office=offices[s % len(offices)],
                lead_unit=departments[s % len(departments)],
                difficulty=rng.choice(["easy", "attainable", "hard"]),
                position=s,
            )
            for s in range(size.standards)
        ]
    )
    through = Standard.responsible_units.through
    sample = min(len(streets), 40)
    through.objects.bulk_create(
        [
            through(standard_id=s.pk, unit_id=u.pk)
            for s in standards
            for u in [*districts, *rng.sample(streets, sample)]
        ],
        batch_size=5000,
    )
    return system, items, standards


# --- Tasks ---------------------------------------------------------------------------------------


def add_tasks(campaign, size, *, standards, items, offices, lead_units, people, rng):
    """`size.tasks` tasks from the standards, each with one to three responsible units below
    its lead unit, a history of events and progress reports. The one place tasks are made."""
    from campaign.models import Unit
    from tasks.models import Milestone, ProgressUpdate, Task, TaskEvent

    Status = Task.Status
    per_standard = -(-size.tasks // len(standards))
    children = {}
    for unit in Unit.objects.filter(campaign=campaign).exclude(parent=None):
        children.setdefault(unit.parent_id, []).append(unit.pk)
    office_admin = people[OFFICE]
    start = TODAY - datetime.timedelta(weeks=size.weeks)
    specs = []  # (standard, lead unit, deadline, status of the lead unit's part)
    for standard in standards:
        for lead in rng.sample(lead_units, min(per_standard, len(lead_units))):
            if len(specs) < size.tasks:
                deadline = start + datetime.timedelta(days=rng.randrange(30, size.weeks * 7 + 60))
                status = (
                    rng.choice([Status.ACCEPTED] * 6 + [Status.SUBMITTED, Status.RETURNED])
                    if deadline < TODAY
                    else rng.choice([Status.NOT_STARTED, Status.IN_PROGRESS, Status.SUBMITTED])
                )
                specs.append((standard, lead, deadline, status))

    # The units beside the lead: one to three responsible units below it, now and then a
    # cooperating unit.
    others = []  # per task, {unit id: role}
    for _standard, lead, _deadline, _status in specs:
        below = children.get(lead.pk, [])
        beside = dict.fromkeys(rng.sample(below, min(len(below), rng.randint(1, 3))), "responsible")
        if rng.random() < 0.3:
            beside.setdefault(lead_units[rng.randrange(len(lead_units))].pk, "cooperating")
        beside.pop(lead.pk, None)
        others.append(beside)

    # One part per unit, each with its own state as the units would have left it: a task
    # accepted has every answering part accepted, one handed in has them handed in or
    # accepted; now and then a cooperating unit never reported. The task's own state is
    # rolled up from its parts by the application's rule (`Task.rolled_up`).
    parts = []  # per task, [part]
    for (_standard, lead, deadline, status), beside in zip(specs, others, strict=True):
        units = [(lead.pk, "lead", status)]
        for unit_id, role in beside.items():
            if role == "cooperating" and rng.random() < 0.2:
                units.append((unit_id, role, Status.NOT_STARTED))
            elif status == Status.ACCEPTED:
                units.append((unit_id, role, Status.ACCEPTED))
            elif status == Status.SUBMITTED:
                units.append((unit_id, role, rng.choice([Status.SUBMITTED, Status.ACCEPTED])))
            elif status == Status.RETURNED:
                units.append((unit_id, role, rng.choice(list(Status))))
            else:
                units.append((unit_id, role, rng.choice([Status.NOT_STARTED, Status.IN_PROGRESS])))
        parts.append([_part(unit_id, role, state, deadline, rng) for unit_id, role, state in units])

    tasks = Writer(
        Task,
        [
            "campaign",
            "standard",
            "item",
            "title",
            "description",
            "command_office",
            "lead_unit",
            "deadline",
            "priority",
            "status",
            "progress",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "accepted_at",
        ],
    )
    item_of = {s.pk: s.node.parent_id for s in standards}
    first = tasks.next_id
    rows = []
    for (standard, lead, deadline, _status), task_parts in zip(specs, parts, strict=True):
        created = _aware(deadline - datetime.timedelta(days=rng.randrange(20, 60)))
        rolled, _required = Task.rolled_up(task_parts)
        rows.append(
            (
                campaign.pk,
                standard.pk,
                item_of[standard.pk],
                f"落实{standard.code}：{lead.name}整治",
                "按测评标准要求完成整治，上传佐证材料。",
                standard.lead_command_office_id,
                lead.pk,
                deadline,
                "normal",
                rolled["status"],
                rolled["progress"],
                1,
                office_admin.pk,
                created,
                created,
                rolled["submitted_at"],
                rolled["accepted_at"],
            )
        )
    tasks.write(rows)
    tasks.close()
    task_ids = range(first, tasks.next_id)

    for field, role in (("responsible_units", "responsible"), ("cooperating_units", "cooperating")):
        m2m = Writer(getattr(Task, field).through, ["task", "unit"])
        m2m.write(
            (task_id, unit_id)
            for task_id, beside in zip(task_ids, others, strict=True)
            for unit_id, its_role in beside.items()
            if its_role == role
        )
        m2m.close()

    from tasks.models import TaskPart

    part_writer = Writer(
        TaskPart,
        ["task", "unit", "role", "status", "progress", "version", "updated_at",
         "submitted_at", "accepted_at"],
    )  # fmt: skip
    lead_part = {}
    part_rows = []
    for task_id, task_parts, (*_spec, deadline, _status) in zip(
        task_ids, parts, specs, strict=True
    ):
        lead_part[task_id] = part_writer.next_id + len(part_rows)
        updated = _aware(deadline - datetime.timedelta(days=1), 16)
        part_rows += [
            (task_id, p.unit, p.role, p.status, p.progress, 1, updated, p.submitted_at,
             p.accepted_at)
            for p in task_parts
        ]  # fmt: skip
    part_writer.write(part_rows)
    part_writer.close()

    milestones = Writer(Milestone, ["task", "date", "expected_progress", "deliverable"])
    milestones.write(
        (task_id, deadline - datetime.timedelta(days=days), pct, "")
        for task_id, (_s, _l, deadline, _st) in zip(task_ids, specs, strict=True)
        for days, pct in ((20, 30), (10, 60))
    )
    milestones.close()

    # History: created, progress reports (each an event and an update), submitted, accepted.
    events = Writer(
        TaskEvent,
        ["task", "part", "actor", "at", "kind", "from_status", "to_status", "note", "data"],
    )
    updates = Writer(
        ProgressUpdate,
        ["task", "part", "author", "at", "text", "progress", "progress_before", "submitted"],
    )
    event_rows, update_rows = [], []
    for task_id, (_standard, lead, deadline, status) in zip(task_ids, specs, strict=True):
        author = people[f"u{lead.pk}-liaison"].pk
        at = _aware(deadline - datetime.timedelta(days=40))
        part = lead_part[task_id]
        event_rows.append(
            (task_id, None, office_admin.pk, at, "created", "", "not_started", "", "{}")
        )
        before = 0
        reports = rng.randint(1, 5) if status != Status.NOT_STARTED else 0
        for n in range(reports):
            at = _aware(deadline - datetime.timedelta(days=30 - 6 * n), 10)
            pct = min(100, before + rng.randrange(10, 40, 10))
            update_rows.append(
                (task_id, part, author, at, f"已完成第{n + 1}阶段整治工作。", pct, before, False)
            )
            event_rows.append((task_id, part, author, at, "progress", "", "", "", "{}"))
            before = pct
        if status in (Status.SUBMITTED, Status.ACCEPTED, Status.RETURNED):
            at = _aware(deadline - datetime.timedelta(days=1), 16)
            event_rows.append(
                (task_id, part, author, at, "submitted", "in_progress", "submitted", "", "{}")
            )
        if status in (Status.ACCEPTED, Status.RETURNED):
            at = _aware(deadline + datetime.timedelta(days=1), 11)
            event_rows.append(
                (task_id, part, office_admin.pk, at, status, "submitted", status, "", "{}")
            )
    events.write(event_rows)
    events.close()
    updates.write(update_rows)
    updates.close()
    return events.count + updates.count


# --- Findings ------------------------------------------------------------------------------------


def add_findings(campaign, size, *, units, territories, standards, people, rng, batch=20_000):
    """`size.findings` findings over `size.weeks` weeks with their ledger events: older ones
    mostly closed off, recent ones still open; some returned once, some relapses."""
    from inspections.models import DEFAULT_CATEGORIES, Finding, FindingCategory, FindingEvent

    categories = FindingCategory.objects.bulk_create(
        [
            FindingCategory(campaign=campaign, name=n, position=i)
            for i, n in enumerate(DEFAULT_CATEGORIES)
        ]
    )
    fields = [
        "campaign", "source", "found_on", "description", "category", "severity", "standard",
        "address", "territory", "unit", "status", "deadline", "supervision_level", "measures",
        "disputed_from", "relapse_of", "reporter_name", "reporter_phone", "assigned_at",
        "submitted_at", "closed_at", "created_by", "created_at", "updated_at", "version",
    ]  # fmt: skip
    findings = Writer(Finding, fields)
    events = Writer(
        FindingEvent,
        ["finding", "actor", "at", "action", "from_status", "to_status", "note", "data"],
    )
    inspectors = [people[f"inspector{n}"].pk for n in range(20)]
    sources = ["routine", "undercover", "special", "mock", "citizen", "media", "leader"]
    days = size.weeks * 7
    start = TODAY - datetime.timedelta(days=days)
    streets_words = ["建设路", "人民路", "解放街", "和平路", "文化巷", "中山路", "新华街", "光明路"]
    closed_ids = []
    made = 0
    while made < size.findings:
        rows, event_rows = [], []
        for n in range(made, min(made + batch, size.findings)):
            finding_id = findings.next_id + len(rows)
            unit = units[rng.randrange(len(units))]
            territory = (
                unit if unit.kind != "department" else territories[rng.randrange(len(territories))]
            )
            # Skewed towards recent weeks, as a campaign steps up before the evaluation.
            found_on = start + datetime.timedelta(days=int(days * rng.random() ** 0.7))
            age = (TODAY - found_on).days
            deadline = found_on + datetime.timedelta(days=7)
            roll = rng.random()
            if age > 21 or roll < 0.25:
                status = "closed" if roll < 0.97 else "voided"
            else:
                status = rng.choice(
                    ["registered", "assigned", "rectifying", "awaiting", "returned"]
                )
            returned = status in ("closed", "returned") and rng.random() < 0.3
            relapse = (
                closed_ids[rng.randrange(len(closed_ids))]
                if closed_ids and rng.random() < 0.02
                else None
            )
            inspector = inspectors[n % len(inspectors)]
            liaison = people[f"u{unit.pk}-liaison"].pk
            found_at = _aware(found_on, 9, n % 60)
            assigned = _aware(found_on, 14) if status != "registered" else None
            submitted = (
                _aware(found_on + datetime.timedelta(days=rng.randrange(1, 9)), 16)
                if status in ("awaiting", "closed", "returned")
                else None
            )
            closed = submitted + datetime.timedelta(days=1) if status == "closed" else None
            severity = rng.choice(["minor"] * 6 + ["serious"] * 3 + ["critical"])
            rows.append(
                (
                    campaign.pk, sources[n % len(sources)], found_on,
                    f"第{n + 1}号问题：沿街商铺跨门经营、占道堆放货物，影响行人通行",
                    categories[n % len(categories)].pk, severity,
                    standards[n % len(standards)].pk,
                    f"{streets_words[n % len(streets_words)]}{n % 997 + 1}号", territory.pk, unit.pk,
                    status, deadline, 1 if status != "closed" and deadline < TODAY else 0,
                    "已清理占道物品，落实门前三包。" if submitted else "", "", relapse, "", "",
                    assigned, submitted, closed, people[f"inspector{n % 20}"].pk, found_at,
                    closed or submitted or assigned or found_at, 1,
                )
            )  # fmt: skip
            if status == "closed":
                closed_ids.append(finding_id)
            # The ledger events that led to this status.
            steps = [(inspector, found_at, "create", "", "registered")]
            if status == "voided":
                steps.append(
                    (people[OFFICE].pk, _aware(found_on, 11), "void", "registered", "voided")
                )
            if assigned:
                steps.append((people[OFFICE].pk, assigned, "assign", "registered", "assigned"))
            if status in ("rectifying", "awaiting", "closed", "returned"):
                steps.append(
                    (liaison, _aware(found_on, 17), "acknowledge", "assigned", "rectifying")
                )
            if submitted:
                if returned:
                    steps.append((liaison, submitted, "submit", "rectifying", "awaiting"))
                    steps.append(
                        (
                            inspector,
                            submitted + datetime.timedelta(hours=2),
                            "fail",
                            "awaiting",
                            "returned",
                        )
                    )
                if status != "returned":
                    at = submitted + datetime.timedelta(hours=3)
                    steps.append(
                        (
                            liaison,
                            at,
                            "submit",
                            "returned" if returned else "rectifying",
                            "awaiting",
                        )
                    )
            if closed:
                steps.append((inspector, closed, "pass", "awaiting", "closed"))
            event_rows += [(finding_id, a, at, act, f, t, "", "{}") for a, at, act, f, t in steps]
        findings.write(rows)
        events.write(event_rows)
        made += len(rows)
    findings.close()
    events.close()
    return events.count


# --- Snapshots -----------------------------------------------------------------------------------


def add_points(campaign, size, *, communities, departments, rng):
    """`size.points_per_community` points in each community, of the usual types, responsible
    the community (or its street), some managed by a department, with a location; then a
    third of the findings are placed at a point of their own territory."""
    from django.db import connection

    from fieldwork.models import Point
    from fieldwork.services import ensure_point_types
    from inspections.models import Finding

    types = list(ensure_point_types(campaign))
    points = Writer(
        Point,
        ["campaign", "type", "name", "address", "latitude", "longitude", "territory", "unit",
         "department", "is_active", "created_at", "version"],
    )  # fmt: skip
    created = _aware(TODAY - datetime.timedelta(weeks=size.weeks))
    rows = []
    for community in communities:
        for n in range(size.points_per_community):
            kind = types[rng.randrange(len(types))]
            rows.append(
                (
                    campaign.pk, kind.pk, f"{community.name}{kind.name}{n + 1}",
                    f"{community.name}{n + 1}号", Decimal(f"{30 + rng.random() / 5:.6f}"),
                    Decimal(f"{120 + rng.random() / 5:.6f}"), community.pk,
                    community.pk if n % 3 else community.parent_id,
                    departments[rng.randrange(len(departments))].pk if n % 4 == 0 else None,
                    n % 17 != 16, created, 1,
                )
            )  # fmt: skip
    points.write(rows)
    points.close()
    point, finding = Point._meta.db_table, Finding._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {finding} SET point_id = p.id FROM (SELECT id, territory_id,"
            f" ROW_NUMBER() OVER (PARTITION BY territory_id ORDER BY id) - 1 AS k"
            f" FROM {point}) p WHERE p.territory_id = {finding}.territory_id"
            f" AND p.k = {finding}.id %% %s AND {finding}.campaign_id = %s"
            f" AND {finding}.id %% 3 = 0",
            [size.points_per_community, campaign.pk],
        )
    return len(rows)


def add_snapshots(campaign, size, *, units, rng):
    """`size.weeks` frozen weeks up to the last one before TODAY, with plausible figures per unit
    (rankings and trends read these; the figures are generated, not recomputed)."""
    from reports.models import PeriodSnapshot, ScoringRule, UnitSnapshot
    from reports.periods import iso_period
    from reports.rankings import score

    rules = ScoringRule.for_campaign(campaign)
    last_monday = TODAY - datetime.timedelta(days=TODAY.weekday() + 7)
    snapshots = PeriodSnapshot.objects.bulk_create(
        [
            PeriodSnapshot(
                campaign=campaign,
                period=iso_period(monday),
                start=monday,
                end=monday + datetime.timedelta(days=6),
                taken_at=_aware(monday + datetime.timedelta(days=7), 8),
                rules=rules.as_dict(),
            )
            for monday in (last_monday - datetime.timedelta(weeks=w) for w in range(size.weeks))
        ]
    )
    fields = [
        "snapshot", "unit", "unit_name", "unit_kind", "unit_path", "found_week", "minor_week",
        "serious_week", "critical_week", "found_total", "closed_week", "closed_total",
        "open_count", "overdue_count", "overdue_days_week", "relapses_week", "relapses_total",
        "returned_week", "tasks_due", "tasks_done", "tasks_on_time", "tasks_overdue",
        "deduction", "score",
    ]  # fmt: skip
    writer = Writer(UnitSnapshot, fields)
    totals = {u.pk: [0, 0, 0] for u in units}  # found, closed, relapses to date
    for snapshot in reversed(snapshots):
        rows = []
        for unit in units:
            week = UnitSnapshot(
                minor_week=rng.randrange(4), serious_week=rng.randrange(2),
                critical_week=int(rng.random() < 0.1), overdue_days_week=rng.randrange(3),
                relapses_week=int(rng.random() < 0.05), returned_week=rng.randrange(2),
            )  # fmt: skip
            found = week.minor_week + week.serious_week + week.critical_week
            total = totals[unit.pk]
            closed_before = total[1]
            closed = min(total[0] + found, closed_before + rng.randrange(5))
            total[0], total[1], total[2] = total[0] + found, closed, total[2] + week.relapses_week
            week.tasks_due = rng.randrange(20)
            week.tasks_done = week.tasks_due - rng.randrange(week.tasks_due + 1) // 3
            week.tasks_on_time = week.tasks_done
            deduction, points = score(week, rules)
            rows.append(
                (
                    snapshot.pk, unit.pk, unit.name, unit.kind, unit.path, found,
                    week.minor_week, week.serious_week, week.critical_week, total[0],
                    closed - closed_before,
                    closed, total[0] - closed, rng.randrange(3), week.overdue_days_week,
                    week.relapses_week, total[2], week.returned_week, week.tasks_due,
                    week.tasks_done, week.tasks_on_time, week.tasks_due - week.tasks_done,
                    deduction, points,
                )
            )  # fmt: skip
        writer.write(rows)
    writer.close()
    return len(snapshots), writer.count


# --- The whole city ----------------------------------------------------------------------------


def generate(size_name, *, seed=1, log=print):
    """Build a campaign of the named size and return a summary dict (counts and seconds)."""
    from django.db import transaction

    from campaign.models import Campaign, CommandOffice, Membership, Role
    from inspections.models import FindingTally

    size = SIZES[size_name]
    rng = random.Random(seed)
    started = time.perf_counter()
    summary = {"size": size_name, "seed": seed}

    def step(name, count):
        summary[name] = count
        log(f"  {name:<18}{count:>10,}  {time.perf_counter() - started:6.1f}s")

    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=f"基准测试（{size_name}）",
            level=Campaign.Level.NATIONAL,
            city="基准市",
            start_date=TODAY - datetime.timedelta(weeks=size.weeks + 1),
            end_date=TODAY + datetime.timedelta(days=400),
        )
        summary["campaign"] = campaign.pk
        offices = CommandOffice.objects.bulk_create(
            [
                CommandOffice(campaign=campaign, name=n)
                for n in ["城市建设指挥部", "社区建设指挥部", "综合整治指挥部", "集镇创建指挥部",
                          "文明素质指挥部", "创卫工作专班", "园林绿化专班", "宣传氛围专班"]
            ]
        )  # fmt: skip
        districts, streets, communities, departments = build_units(campaign, size)
        units = [*districts, *streets, *communities, *departments]
        step("units", len(units))
        people = build_people(campaign, units, offices)
        # The personas, by fixed names, on top of the generated people.
        for username, role, unit in (
            (OFFICE, Role.OFFICE_ADMIN, None),
            (DISTRICT_LEADER, Role.UNIT_LEADER, districts[0]),
            (STREET_LIAISON, Role.UNIT_LIAISON, streets[0]),
        ):
            person = type(people["office0"]).objects.create(
                username=username, name=username, password=people["office0"].password
            )
            Membership.objects.create(person=person, campaign=campaign, role=role, unit=unit)
            people[username] = person
        step("people", len(people))
        system, items, standards = build_system(
            campaign, size, offices, departments, districts, streets, rng
        )
        step("standards", len(standards))
        task_history = add_tasks(
            campaign,
            size,
            standards=standards,
            items=items,
            offices=offices,
            lead_units=[*districts, *streets, *departments],
            people=people,
            rng=rng,
        )
        step("tasks", size.tasks)
        step("task history", task_history)
        finding_events = add_findings(
            campaign,
            size,
            units=[*streets, *communities, *departments],
            territories=communities,
            standards=standards,
            people=people,
            rng=rng,
        )
        step("findings", size.findings)
        step("finding events", finding_events)
        step(
            "points",
            add_points(campaign, size, communities=communities, departments=departments, rng=rng),
        )
        weeks, unit_rows = add_snapshots(campaign, size, units=units, rng=rng)
        step("snapshot weeks", weeks)
        step("unit snapshots", unit_rows)
        # The counts the triggers kept while the findings went in, folded as the beat job
        # leaves them (a row per status).
        FindingTally.objects.compact()
    _analyze()
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _analyze():
    """Fresh planner statistics and visibility map after a bulk load, as autovacuum leaves a
    table soon after one: PostgreSQL plans from the statistics, and counts read an index
    alone (index-only scans) only where the visibility map marks the pages all-visible."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM cannot run inside a transaction (the smoke bench in the test suite builds
            # its data in one): there the statistics alone are refreshed.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="smoke")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from bench.run import setup_django

    setup_django()
    print(json.dumps(generate(args.size, seed=args.seed), ensure_ascii=False))


if __name__ == "__main__":
    main()
