"""Workflows of the campaign app that span several models: the organisation import, and
acting on a form once however often it is posted."""

import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import AuditEntry, FormSubmission, Membership, Person, Role, Unit
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

    @property
    def kind_label(self):
        return Unit.Kind(self.kind).label


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
        return result


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
    # Current leaders and liaisons of every unit, in one query.
    holders = {
        (unit_id, role): name
        for unit_id, role, name in Membership.objects.filter(
            campaign=campaign, role__in=[Role.UNIT_LEADER, Role.UNIT_LIAISON]
        ).values_list("unit_id", "role", "person__name")
    }
    for row in plan.rows:
        unit = existing.get(row.target)
        if unit is None:
            row.action = "create"
        else:
            parent_name = unit.parent.name if unit.parent_id else ""
            same_unit = (unit.kind, parent_name, unit.phone) == (row.kind, row.parent, row.phone)
            new_name = row.name != unit.name and row.name not in unit.all_names()
            same_people = holders.get((unit.pk, Role.UNIT_LEADER), "") == row.leader and (
                holders.get((unit.pk, Role.UNIT_LIAISON), "") == row.liaison
            )
            row.action = "unchanged" if same_unit and same_people and not new_name else "update"
    return plan


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
    """Write a plan with no errors: units (parents first), their leaders and liaisons.

    Re-applying the same plan changes nothing. People get accounts without a usable
    password; the office sets passwords on the people page.
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
            _assign(unit, Role.UNIT_LEADER, row.leader, row.leader_title, "", campaign)
            _assign(unit, Role.UNIT_LIAISON, row.liaison, "", row.phone, campaign)
        pending = [r for r in pending if r not in ready]
    counts = plan.counts
    AuditEntry.record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        obj=campaign,
        campaign=campaign,
        summary=_("Imported the organisation: %(create)s units added, %(update)s changed.")
        % counts,
        changes={"sheet": plan.sheet, **counts},
    )
    return counts


def _assign(unit, role, name, title, phone, campaign):
    """Make `name` the holder of `role` for `unit`, replacing a different holder."""
    if not name:
        return
    current = list(Membership.objects.filter(unit=unit, role=role).select_related("person"))
    if any(m.person.name == name for m in current):
        return
    for membership in current:
        membership.delete()
    person = None
    if phone:
        person = Person.objects.filter(name=name, phone=phone).first()
    if person is None:
        base = phone or f"u{unit.pk}{'l' if role == Role.UNIT_LEADER else 'c'}"
        username, n = base, 1
        while Person.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        person = Person(username=username, name=name, phone=phone, title=title)
        person.set_unusable_password()
        person.save()
    Membership.objects.create(person=person, campaign=campaign, role=role, unit=unit, title=title)


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
