"""Workflows of the campaign app that span several models: the organisation import, and
acting on a form once however often it is posted."""

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import AuditEntry, FormSubmission, Membership, Person, Role, Unit
from .workbook import WorkbookInvalid, label_key, locate_table, split_list

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
}


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

    @property
    def kind_label(self):
        return Unit.Kind(self.kind).label


@dataclass
class OrganisationPlan:
    """What an organisation workbook would do: rows to apply and errors that forbid it."""

    sheet: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def counts(self):
        result = {"create": 0, "update": 0, "unchanged": 0}
        for row in self.rows:
            result[row.action] = result.get(row.action, 0) + 1
        return result


def read_organisation(data, *, campaign, filename=""):
    """Parse a unit and liaison list (责任单位及联络员名单) into a plan. Writes nothing."""
    plan = OrganisationPlan()
    try:
        table = locate_table(
            data, fields=ORGANISATION_COLUMNS, required={"name", "kind"}, filename=filename
        )
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    plan.sheet = table.sheet
    existing = {u.name: u for u in Unit.objects.filter(campaign=campaign).select_related("parent")}
    seen = {}
    for number, values in table.rows():
        name = table.text(values, "name")
        if not name:
            plan.errors.append(table.error(number, "name", _("The unit name is empty.")))
            continue
        if name in seen:
            plan.errors.append(
                table.error(
                    number,
                    "name",
                    _("“%(name)s” appears twice (first in row %(row)s).")
                    % {"name": name, "row": seen[name]},
                )
            )
            continue
        seen[name] = number
        kind_text = table.text(values, "kind")
        kind = KIND_LABELS.get(label_key(kind_text))
        if not kind:
            plan.errors.append(
                table.error(
                    number,
                    "kind",
                    _("Unknown unit kind “%(kind)s”: use 县区, 街道（镇）, 社区, 市直部门 or 其他.")
                    % {"kind": kind_text},
                )
            )
            continue
        plan.rows.append(
            OrganisationRow(
                row=number,
                name=name,
                kind=kind,
                parent=table.text(values, "parent"),
                short_name=table.text(values, "short_name"),
                aliases=split_list(table.text(values, "aliases")),
                leader=table.text(values, "leader"),
                leader_title=table.text(values, "leader_title"),
                liaison=table.text(values, "liaison"),
                phone=table.text(values, "phone"),
            )
        )

    # Parents must exist already or appear in the file, and the tree must have no cycle.
    in_file = {row.name: row for row in plan.rows}
    for row in plan.rows:
        if row.parent and row.parent not in in_file and row.parent not in existing:
            plan.errors.append(
                table.error(
                    row.row,
                    "parent",
                    _(
                        "Unknown parent unit “%(parent)s”: it is neither in this file nor in the campaign."
                    )
                    % {"parent": row.parent},
                )
            )
        elif row.parent == row.name:
            plan.errors.append(
                table.error(
                    row.row,
                    "parent",
                    _("A unit cannot be its own parent."),
                )
            )
    if not plan.errors:
        for row in plan.rows:
            chain, current = {row.name}, row.parent
            while current in in_file:
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
                current = in_file[current].parent
    # Current leaders and liaisons of every unit, in one query.
    holders = {
        (unit_id, role): name
        for unit_id, role, name in Membership.objects.filter(
            campaign=campaign, role__in=[Role.UNIT_LEADER, Role.UNIT_LIAISON]
        ).values_list("unit_id", "role", "person__name")
    }
    for row in plan.rows:
        unit = existing.get(row.name)
        if unit is None:
            row.action = "create"
        else:
            parent_name = unit.parent.name if unit.parent_id else ""
            same = (unit.kind, parent_name, unit.phone) == (row.kind, row.parent, row.phone) and (
                holders.get((unit.pk, Role.UNIT_LEADER), "") == row.leader
                and holders.get((unit.pk, Role.UNIT_LIAISON), "") == row.liaison
            )
            row.action = "unchanged" if same else "update"
    return plan


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
        for row in ready:
            unit = units.get(row.name) or Unit(campaign=campaign, name=row.name)
            unit.kind = row.kind
            unit.parent = units.get(row.parent) if row.parent else None
            unit.phone = row.phone
            if row.short_name:
                unit.short_name = row.short_name
            if row.aliases:
                unit.aliases = row.aliases
            unit.save()
            units[row.name] = unit
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
