"""Workflows of the campaign app that span several models: the organisation import,
changes of who holds a role (memberships start and end, open items follow the role), and
acting on a form once however often it is posted."""

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import (
    AuditEntry,
    FormSubmission,
    Membership,
    Notification,
    Person,
    Role,
    Unit,
    change_unread_counts,
)
from .workbook import (
    RowError,
    WorkbookInvalid,
    invisible_note,
    label_key,
    locate_table,
    one_line,
    shown,
    split_list,
)

ORGANISATION_COLUMNS = {
    "name": ["单位名称", "责任单位名称", "责任单位", "单位"],
    "kind": ["单位类别", "单位类型", "类别", "类型"],
    "parent": ["上级单位", "所属单位", "上级"],
    "short_name": ["简称"],
    "aliases": ["别名", "又称"],
    "leader": ["第一责任人", "主要负责人", "负责人"],
    "leader_title": ["职务"],
    "liaison": ["联络员", "联系人"],
    "phone": ["联系电话", "联络员电话", "电话", "手机"],
}

# Kind labels as workbooks write them (after label_key) → Unit.Kind.
KIND_LABELS = {
    "县区": Unit.Kind.DISTRICT,
    "区县": Unit.Kind.DISTRICT,
    "县市区": Unit.Kind.DISTRICT,
    "区": Unit.Kind.DISTRICT,
    "县": Unit.Kind.DISTRICT,
    "县级市": Unit.Kind.DISTRICT,
    "街道镇": Unit.Kind.STREET,
    "街道": Unit.Kind.STREET,
    "镇": Unit.Kind.STREET,
    "乡镇": Unit.Kind.STREET,
    "镇街": Unit.Kind.STREET,
    "乡镇街道": Unit.Kind.STREET,
    "社区": Unit.Kind.COMMUNITY,
    "村": Unit.Kind.COMMUNITY,
    "村社区": Unit.Kind.COMMUNITY,
    "市直部门": Unit.Kind.DEPARTMENT,
    "部门": Unit.Kind.DEPARTMENT,
    "市直单位": Unit.Kind.DEPARTMENT,
    "市直": Unit.Kind.DEPARTMENT,
    "企业": Unit.Kind.OTHER,
    "其他": Unit.Kind.OTHER,
    "其它": Unit.Kind.OTHER,
    "区县市": Unit.Kind.DISTRICT,
    "县区市": Unit.Kind.DISTRICT,
    "县级": Unit.Kind.DISTRICT,
    "区级": Unit.Kind.DISTRICT,
    "街道乡镇": Unit.Kind.STREET,
    "镇街道": Unit.Kind.STREET,
    "乡镇街": Unit.Kind.STREET,
    "街镇": Unit.Kind.STREET,
    "乡": Unit.Kind.STREET,
    "社区村": Unit.Kind.COMMUNITY,
    "村居": Unit.Kind.COMMUNITY,
    "居委会": Unit.Kind.COMMUNITY,
    "村委会": Unit.Kind.COMMUNITY,
    "社区居委会": Unit.Kind.COMMUNITY,
    "市直机关": Unit.Kind.DEPARTMENT,
    "市级部门": Unit.Kind.DEPARTMENT,
    "市直部门单位": Unit.Kind.DEPARTMENT,
    "市直单位部门": Unit.Kind.DEPARTMENT,
    "部门单位": Unit.Kind.DEPARTMENT,
    "机关单位": Unit.Kind.DEPARTMENT,
    "国有企业": Unit.Kind.OTHER,
    "国企": Unit.Kind.OTHER,
    "企事业单位": Unit.Kind.OTHER,
    "事业单位": Unit.Kind.OTHER,
    "社会组织": Unit.Kind.OTHER,
}
# What a parent's name may carry that the unit's own name does not: 东城区人民政府 → 东城区,
# 东华街道办事处 → 东华街道, 中共东城区委员会 → 东城区.
PARENT_DECORATIONS = re.compile(
    r"^(中共|中国共产党)|(人民政府|政府|办事处|党工委|委员会|区委|县委)$"
)


def kind_key(text):
    return re.sub(r"[、，,/／]", "", label_key(text))


def unit_key(name):
    """A unit name reduced for matching: full-/half-width brackets and blanks do not count."""
    return label_key(name)


def parent_keys(name):
    """Keys a parent written as `name` may stand for, most literal first."""
    key = unit_key(name)
    keys = [key]
    stripped = PARENT_DECORATIONS.sub("", key)
    while stripped != keys[-1] and stripped:
        keys.append(stripped)
        stripped = PARENT_DECORATIONS.sub("", stripped)
    return keys


@dataclass
class OrganisationRow:
    row: int
    name: str
    kind: str
    parent: str
    short_name: str = ""
    aliases: list = field(default_factory=list)
    leader: str = ""
    leader_title: str = ""
    liaison: str = ""
    phone: str = ""
    action: str = ""  # "create", "update" or "unchanged", filled by the preview
    # The existing unit this row is (same name up to brackets and blanks, or an alias).
    target: str = ""
    parent_as_written: str = ""
    # A unit whose name contains this one's, or the other way round (东城区东华街道 ⊃ 东华街道):
    # shown in the preview; the person decides whether it is the same unit.
    duplicate_of: str = ""
    changes: list = field(default_factory=list)  # [(what, before, after)] of the unit itself
    people: list = field(default_factory=list)  # [RoleChange] of its leader and liaison

    @property
    def kind_label(self):
        return Unit.Kind(self.kind).label


@dataclass
class RoleChange:
    """A unit's leader or liaison changing hands, as the preview shows it: before → after."""

    unit: str
    role: str
    before: list  # names of the holders whose membership ends
    after: str
    phone: str = ""
    title: str = ""
    person: Person | None = None  # the existing person who takes the role; None: a new person

    @property
    def role_label(self):
        return Role(self.role).label

    @property
    def new_person(self):
        return self.person is None


@dataclass
class OrganisationPlan:
    """What an organisation workbook would do: rows to apply and errors that forbid it."""

    sheet: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    sheets: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def probable_duplicates(self):
        return [row for row in self.rows if row.duplicate_of and not row.target]

    @property
    def counts(self):
        result = {"create": 0, "update": 0, "unchanged": 0}
        for row in self.rows:
            result[row.action] = result.get(row.action, 0) + 1
        changes = self.role_changes
        result["people_new"] = sum(c.new_person for c in changes)
        result["roles_started"] = len(changes)
        result["roles_ended"] = sum(len(c.before) for c in changes)
        return result

    @property
    def role_changes(self):
        return [change for row in self.rows for change in row.people]

    @property
    def ended(self):
        """Role changes that end someone's membership: the import needs these confirmed."""
        return [change for change in self.role_changes if change.before]


def read_organisation(data, *, campaign, filename="", same=()):
    """Parse a unit and liaison list (责任单位及联络员名单) into a plan. Writes nothing.

    Names are stored as written but matched without regard to full- or half-width brackets,
    blanks or invisible characters, and through each unit's aliases. A new name that contains
    an existing one (or is contained in it) is a probable duplicate; `same` holds the row
    numbers the person confirmed as the same unit, which then update it and keep the new
    name as an alias.
    """
    plan = OrganisationPlan()
    try:
        table = locate_table(
            data, fields=ORGANISATION_COLUMNS, required={"name", "kind"}, filename=filename
        )
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    plan.sheet, plan.sheets, plan.warnings = table.sheet, table.notes, table.warnings
    existing = {u.name: u for u in Unit.objects.filter(campaign=campaign).select_related("parent")}
    by_key = {}
    for unit in existing.values():
        for name in unit.all_names():
            by_key.setdefault(unit_key(name), unit)
    seen = {}
    for number, values in table.rows():
        problems = table.problems(number, values)
        if problems:
            plan.errors.extend(problems)
            continue
        name = one_line(table.text(values, "name"))
        if not name:
            plan.errors.append(table.error(number, "name", _("The unit name is empty.")))
            continue
        if unit_key(name) in seen:
            plan.errors.append(
                table.error(
                    number,
                    "name",
                    _("“%(name)s” appears twice (first in row %(row)s).")
                    % {"name": shown(name), "row": seen[unit_key(name)]},
                )
            )
            continue
        seen[unit_key(name)] = number
        kind_text = table.text(values, "kind")
        kind = KIND_LABELS.get(kind_key(kind_text))
        if not kind:
            plan.errors.append(
                table.error(
                    number,
                    "kind",
                    _("Unknown unit kind “%(kind)s”: use 县区, 街道（镇）, 社区, 市直部门 or 其他.")
                    % {"kind": shown(kind_text)},
                )
            )
            continue
        parent = one_line(table.text(values, "parent"))
        plan.rows.append(
            OrganisationRow(
                row=number,
                name=name,
                kind=kind,
                parent=parent,
                parent_as_written=parent,
                short_name=table.text(values, "short_name"),
                aliases=split_list(table.text(values, "aliases")),
                leader=one_line(table.text(values, "leader")),
                leader_title=table.text(values, "leader_title"),
                liaison=one_line(table.text(values, "liaison")),
                phone=table.text(values, "phone"),
            )
        )

    if not plan.rows and not plan.errors:
        plan.errors.append(
            RowError(plan.sheet, None, None, _("The sheet has a header but no units."))
        )
    # Rows that are existing units under another spelling, and probable duplicates.
    for row in plan.rows:
        unit = by_key.get(unit_key(row.name))
        if unit is not None:
            row.target = unit.name
            continue
        candidate = _containing(row.name, [*existing, *(r.name for r in plan.rows)], row.parent)
        if candidate:
            row.duplicate_of = candidate
            if row.row in same and candidate in existing:
                row.target = candidate
    # Parents must exist already or appear in the file, and the tree must have no cycle.
    in_file = {unit_key(row.name): row for row in plan.rows}
    for row in plan.rows:
        if not row.parent:
            continue
        resolved = _resolve_parent(row.parent, in_file, by_key)
        if resolved is None:
            plan.errors.append(
                table.error(
                    row.row,
                    "parent",
                    _(
                        "Unknown parent unit “%(parent)s”: it is neither in this file nor in the campaign."
                    )
                    % {"parent": shown(row.parent)}
                    + invisible_note(row.parent),
                )
            )
        elif resolved == (row.target or row.name):
            plan.errors.append(
                table.error(
                    row.row,
                    "parent",
                    _("A unit cannot be its own parent."),
                )
            )
        else:
            row.parent = resolved
    if not plan.errors:
        own = {row.target or row.name: row for row in plan.rows}
        for row in plan.rows:
            chain, current = {row.target or row.name}, row.parent
            while current in own:
                if current in chain:
                    plan.errors.append(
                        table.error(
                            row.row,
                            "parent",
                            _("The parent units of “%(name)s” go round in a circle.")
                            % {"name": row.name},
                        )
                    )
                    break
                chain.add(current)
                current = own[current].parent
    _plan_units_and_people(plan, existing=existing, campaign=campaign)
    return plan


def _holders(campaign):
    """(unit id, role) → the memberships in force of every unit's leader and liaison."""
    holders = defaultdict(list)
    memberships = Membership.objects.filter(campaign=campaign, role__in=UNIT_ROLE_COLUMNS)
    for membership in memberships.select_related("person"):
        holders[(membership.unit_id, membership.role)].append(membership)
    return holders


# The workbook's person columns: role → (name, title, phone) fields of a row.
UNIT_ROLE_COLUMNS = {
    Role.UNIT_LEADER: ("leader", "leader_title", None),
    Role.UNIT_LIAISON: ("liaison", None, "phone"),
}


def _find_person(name, phone, unit, candidates):
    """The one person of this campaign the row names, or None for a new person.

    Chinese names repeat, so a name alone never identifies anyone: with a phone, the person
    of that name and phone; without one, the person of that name who holds or held a role
    for this very unit. Anything else, or two matches, is a new person.
    """
    if phone:
        matches = {p for p, _unit_id in candidates.get(name, []) if p.phone == phone}
    else:
        unit_id = unit.pk if unit else None
        matches = {p for p, held in candidates.get(name, []) if unit_id and held == unit_id}
    return matches.pop() if len(matches) == 1 else None


def _plan_units_and_people(plan, *, existing, campaign):
    """Fill in each row's action, its unit changes and its leader/liaison changes (before →
    after). An empty cell leaves the current holder in place."""
    holders = _holders(campaign)
    names = {getattr(row, column) for row in plan.rows for column, *_ in UNIT_ROLE_COLUMNS.values()}
    candidates = defaultdict(list)  # name → [(person, unit id of a role held)]
    held = Membership.history.filter(campaign=campaign, person__name__in=names - {""})
    for membership in held.select_related("person"):
        candidates[membership.person.name].append((membership.person, membership.unit_id))
    for row in plan.rows:
        unit = existing.get(row.target)
        if unit is not None:
            parent_name = unit.parent.name if unit.parent_id else ""
            if row.name != unit.name and row.name not in unit.all_names():
                row.changes.append((_("Name"), unit.name, row.name))
            for label, before, after in (
                (_("Kind"), unit.get_kind_display(), row.kind_label),
                (_("Parent unit"), parent_name, row.parent),
                (_("Phone"), unit.phone, row.phone),
            ):
                if str(before) != str(after):
                    row.changes.append((label, before, after))
        for role, (name_field, title_field, phone_field) in UNIT_ROLE_COLUMNS.items():
            name = getattr(row, name_field)
            current = holders.get((unit.pk, role), []) if unit else []
            if not name or any(m.person.name == name for m in current):
                continue
            phone = getattr(row, phone_field) if phone_field else ""
            row.people.append(
                RoleChange(
                    unit=row.target or row.name,
                    role=role,
                    before=[m.person.name for m in current],
                    after=name,
                    phone=phone,
                    title=getattr(row, title_field) if title_field else "",
                    person=_find_person(name, phone, unit, candidates),
                )
            )
        if unit is None:
            row.action = "create"
        else:
            row.action = "update" if row.changes or row.people else "unchanged"


def remember_aliases(*, campaign, mapping):
    """Keep the unit names an office mapped by hand in an import preview as aliases of the
    unit they stand for, so the next workbook of the campaign matches them by itself.

    Only a name mapped to exactly one unit becomes an alias; a name standing for several
    units (各窗口单位) is asked again. Returns the number of aliases added.
    """
    added = 0
    for name, units in mapping.items():
        name = one_line(name)
        if len(units) != 1 or not name:
            continue
        unit = Unit.objects.select_for_update().get(pk=units[0].pk, campaign=campaign)
        if unit_key(name) not in {unit_key(n) for n in unit.all_names()}:
            unit.aliases = [*unit.aliases, name]
            unit.save(update_fields=["aliases"])
            added += 1
    return added


def _containing(name, names, parent=""):
    """The closest other name that contains `name` or is contained in it (2 characters or
    more), leaving out the unit's own parent (东城区东华街道 names 东城区 as its territory)."""
    key, parents = unit_key(name), set(parent_keys(parent)) if parent else set()
    best = None
    for other in names:
        other_key = unit_key(other)
        if other_key == key or other_key in parents or min(len(key), len(other_key)) < 2:
            continue
        if (key in other_key or other_key in key) and (
            best is None or len(other_key) > len(unit_key(best))
        ):
            best = other
    return best


def _resolve_parent(parent, in_file, by_key):
    """The name (as the unit will be called) a parent cell stands for, or None."""
    for key in parent_keys(parent):
        row = in_file.get(key)
        if row is not None:
            return row.target or row.name
        unit = by_key.get(key)
        if unit is not None:
            return unit.name
    return None


@transaction.atomic
def apply_organisation(plan, *, campaign, actor):
    """Write a plan with no errors: units (parents first), then their leaders and liaisons.

    A replaced holder's membership ends (never deleted) and their open items pass to the
    successor; new people get an activation instead of a password. Re-applying the same
    plan changes nothing. Returns the counts and what happened to people, for the result page.
    """
    if plan.errors:
        raise WorkbookInvalid(plan.errors)
    units = {u.name: u for u in Unit.objects.filter(campaign=campaign)}
    pending = list(plan.rows)
    while pending:
        ready = [r for r in pending if not r.parent or r.parent in units]
        if not ready:
            break
        for row in ready:
            unit = units.get(row.target) or Unit(campaign=campaign, name=row.name)
            if row.name != unit.name and row.name not in unit.all_names():
                # Another spelling of an existing unit: remembered, so the next file matches.
                unit.aliases = [*unit.aliases, row.name]
            unit.kind = row.kind
            unit.parent = units.get(row.parent) if row.parent else None
            unit.phone = row.phone
            if row.short_name:
                unit.short_name = row.short_name
            if row.aliases:
                unit.aliases = list(dict.fromkeys([*unit.aliases, *row.aliases]))
            unit.save()
            units[unit.name] = unit
        pending = [r for r in pending if r not in ready]
    reason = _("Replaced in the organisation import")
    outcome = []
    created = {}  # (name, phone) → the new person, when one file names them twice
    for change in plan.role_changes:
        person, activation = change.person, None
        if person is None and change.phone:
            person = created.get((change.after, change.phone))
        if person is None:
            person, activation = _new_person(change, actor=actor)
            created[(change.after, change.phone)] = person
        started, ended, handed = replace_holders(
            person=person,
            unit=units[change.unit],
            role=change.role,
            title=change.title,
            by=actor,
            reason=reason,
        )
        outcome.append(
            {"change": change, "person": person, "activation": activation, "handed_over": handed}
        )
    counts = plan.counts
    summary = (
        _(
            "Imported the organisation: %(create)s units added, %(update)s changed; "
            "%(roles_started)s roles given, %(roles_ended)s ended, %(people_new)s new people."
        )
        % counts
    )
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        obj=campaign,
        campaign=campaign,
        summary=summary,
        changes={
            "sheet": plan.sheet,
            **counts,
            "units": {
                row.name: [[str(w), str(b), str(a)] for w, b, a in row.changes]
                for row in plan.rows
                if row.changes
            },
            "people": [
                {
                    "unit": item["change"].unit,
                    "role": item["change"].role,
                    "before": item["change"].before,
                    "after": item["person"].name,
                    "username": item["person"].username,
                    "new_person": item["change"].new_person,
                    "handed_over": item["handed_over"],
                }
                for item in outcome
            ],
        },
    )
    return counts, outcome


def _new_person(change, *, actor):
    """An account for someone the workbook names for the first time, with an activation."""
    base = change.phone or "u"
    username, n = base, 1
    while Person.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    person = Person(username=username, name=change.after, phone=change.phone, title=change.title)
    person.set_unusable_password()
    person.save()
    return person, _issue_activation(person, by=actor)


def _issue_activation(person, *, by):
    """The new account signs in first with a one-time activation code (accounts app)."""
    from accounts.services import issue_activation

    return issue_activation(person, by=by)


# --- Who holds a role ------------------------------------------------------------------------


def replace_holders(*, person, unit, role, by, reason, title=""):
    """Make `person` the holder of `role` for `unit`: every other holder's membership ends
    (with who and why) and their open items are handed to `person`.

    Returns (the membership started or kept, the memberships ended, items handed over).
    """
    campaign = unit.campaign
    with transaction.atomic():
        current = list(
            Membership.objects.select_for_update().filter(campaign=campaign, unit=unit, role=role)
        )
        kept = next((m for m in current if m.person_id == person.pk), None)
        started = kept or Membership.objects.create(
            person=person, campaign=campaign, role=role, unit=unit, title=title
        )
        ended, handed = [], 0
        for membership in current:
            if membership.person_id == person.pk:
                continue
            membership.end(by=by, reason=reason)
            handed += hand_over_open_items(old=membership, new=started)
            ended.append(membership)
    return started, ended, handed


def end_membership(membership, *, by, reason):
    """End one role without a successor (the person leaves the unit)."""
    membership.end(by=by, reason=reason)
    return membership


def hand_over_open_items(*, old, new):
    """The open items of an ended membership pass to its successor; returns how many.

    Tasks and findings belong to units, so the successor sees them through the role. What
    belonged to the person are the unread notifications of the campaign: they move to the
    successor, or are copied when the old holder keeps another role there (their links may
    still serve them). A notification the successor already has is not duplicated.
    Both people's unread counts change with them.
    """
    unread = Notification.objects.unread().filter(recipient=old.person, campaign=old.campaign)
    keeps_a_role = Membership.objects.filter(person=old.person, campaign=old.campaign).exists()
    moved = 0
    # Locked, so a notice the old holder reads meanwhile is neither moved nor counted twice.
    for notification in unread.select_for_update():
        if (
            notification.dedupe_key
            and Notification.objects.filter(
                recipient=new.person, dedupe_key=notification.dedupe_key
            ).exists()
        ):
            continue
        if keeps_a_role:
            notification.pk = None
            notification.recipient = new.person
            notification.save()
        else:
            notification.recipient = new.person
            notification.save(update_fields=["recipient"])
        moved += 1
    change_unread_counts({new.person.pk: moved, old.person.pk: 0 if keeps_a_role else -moved})
    if not keeps_a_role:
        # What did not move (already with the successor) is settled for the old holder.
        unread.mark_read()
    return moved


def submit_once(*, token, person, create):
    """Run `create()` for the first POST carrying `token` and remember what it made; a repeat
    with the same token runs nothing and gets that first result. Returns (result, first).

    The claim row is written in the same transaction as what `create()` makes, so a failed
    attempt claims nothing and may be sent again. A second POST arriving while the first is
    still running waits on the token's unique index, then gets the first result.
    Without a token (a page rendered before tokens existed) `create()` simply runs.
    """
    if token is None:
        return create(), True
    person = person if person is not None and person.is_authenticated else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = FormSubmission.objects.create(token=token, person=person)
        except IntegrityError:
            earlier = FormSubmission.objects.get(token=token)
            if earlier.person_id != (person.pk if person else None):
                raise PermissionDenied from None
            return earlier.result, False
        result = create()
        if getattr(result, "pk", None) is not None:
            claim.content_type = ContentType.objects.get_for_model(result)
            claim.object_id = result.pk
            claim.save(update_fields=["content_type", "object_id"])
        return result, True
