"""Workflows of field operations that span models: the point register's defaults and import,
the points nearest a place, and hot spots (热点) from the ledger."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaign import choices_cache
from campaign.models import AuditEntry, Unit
from campaign.workbook import (
    RowError,
    UnitMatcher,
    WorkbookInvalid,
    is_blank,
    label_key,
    locate_table,
    one_line,
    parse_decimal,
    shown,
)
from inspections.models import Finding, Status, within_metres

from .models import (
    DEFAULT_POINT_TYPES,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    HotSpotSettings,
    Point,
    PointType,
)

# --- Point register (helper "points") ----------------------------------------------------------


def ensure_point_types(campaign):
    """Give a campaign the evaluation system's usual point types the first time it needs them."""
    types = PointType.objects.filter(campaign=campaign)
    if not types.exists():
        PointType.objects.bulk_create(
            [
                PointType(campaign=campaign, name=name, position=i)
                for i, name in enumerate(DEFAULT_POINT_TYPES)
            ],
            ignore_conflicts=True,
        )
        # Made in bulk, without the save signals that change the campaign's choices version:
        # the filters would keep offering the choices read before these existed.
        choices_cache.touch(campaign.pk)
    return types


# Coordinates are kept to six decimals (about 0.1 m).
_SIX_PLACES = Decimal("0.000001")

# The columns of the point list, as the export writes them and the import reads them.
POINT_COLUMNS = {
    "name": ["点位名称", "名称", "点位"],
    "type": ["点位类型", "类型", "类别"],
    "address": ["地址", "详细地址", "点位地址"],
    "latitude": ["纬度", "纬度WGS-84", "纬度WGS84"],
    "longitude": ["经度", "经度WGS-84", "经度WGS84"],
    "territory": ["所属区域", "属地", "所在区域", "所属街道", "所在街道"],
    "unit": ["责任单位"],
    "department": ["行业主管部门", "主管部门"],
}


def column_label(name):
    """The header a field's column has in the export (and first choice in the import)."""
    return POINT_COLUMNS[name][0]


@dataclass
class PointRow:
    row: int
    values: dict
    point: Point | None  # the existing point of the same type and name, if any
    action: str  # "create", "update" or "unchanged"


@dataclass
class PointPlan:
    sheet: str = ""
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    sheets: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def counts(self):
        return {
            action: sum(r.action == action for r in self.rows)
            for action in ("create", "update", "unchanged")
        }


def _coordinate(table, number, values, name, limits, errors):
    """A WGS-84 coordinate from its cell, None when blank; an error when it is not one."""
    raw = table.value(values, name)
    if is_blank(raw):
        return None
    try:
        number_value = parse_decimal(raw)
    except ValueError:
        number_value = None
    if number_value is None or not limits[0] <= number_value <= limits[1]:
        errors.append(
            table.error(
                number,
                name,
                _("%(field)s “%(value)s” is not a WGS-84 coordinate between %(low)s and %(high)s.")
                % {
                    "field": column_label(name),
                    "value": shown(one_line(table.text(values, name))),
                    "low": limits[0],
                    "high": limits[1],
                },
            )
        )
        return None
    return number_value.quantize(_SIX_PLACES)


def read_points(data, *, campaign, user, filename=""):
    """Parse a point list (点位清单) into a plan. Writes nothing.

    A row is matched to an existing point by type and name (re-importing an export updates
    it); territory, responsible unit and department are matched to units the person may see,
    by name, short name or alias.
    """
    plan = PointPlan()
    try:
        table = locate_table(
            data,
            fields=POINT_COLUMNS,
            required={"name", "type", "territory", "unit"},
            filename=filename,
        )
    except WorkbookInvalid as exc:
        plan.errors = exc.errors
        return plan
    plan.sheet, plan.sheets, plan.warnings = table.sheet, table.notes, table.warnings
    types = {label_key(t.name): t for t in PointType.objects.filter(campaign=campaign)}
    matcher = UnitMatcher(Unit.objects.visible_to(user).filter(campaign=campaign))
    existing = {(p.type_id, label_key(p.name)): p for p in Point.objects.filter(campaign=campaign)}
    seen = {}
    for number, values in table.rows():
        errors = table.problems(number, values)
        if errors:
            plan.errors.extend(errors)
            continue

        def error(name, message, row=number, errors=errors):
            errors.append(table.error(row, name, message))

        name = one_line(table.text(values, "name"))
        if not name:
            error("name", _("%(field)s is empty.") % {"field": column_label("name")})
        type_text = one_line(table.text(values, "type"))
        point_type = types.get(label_key(type_text))
        if point_type is None:
            error(
                "type",
                _("Unknown point type “%(value)s”: use one of %(known)s, or add it first.")
                % {
                    "value": shown(type_text),
                    "known": "、".join(t.name for t in types.values()),
                },
            )
        units = {}
        for key in ("territory", "unit", "department"):
            text = one_line(table.text(values, key))
            if not text:
                units[key] = None
                if key != "department":
                    error(key, _("%(field)s is empty.") % {"field": column_label(key)})
                continue
            matched = matcher.match(text)
            if not matched or len(matched) != 1:
                error(
                    key,
                    _("%(field)s “%(value)s” is not a unit you can see in this campaign.")
                    % {"field": column_label(key), "value": shown(text)},
                )
                units[key] = None
            else:
                units[key] = matched[0]
        latitude = _coordinate(table, number, values, "latitude", LATITUDE_RANGE, errors)
        longitude = _coordinate(table, number, values, "longitude", LONGITUDE_RANGE, errors)
        if (latitude is None) != (longitude is None) and not errors:
            missing = "longitude" if longitude is None else "latitude"
            error(
                missing,
                _("Give both latitude and longitude, or neither: %(field)s is missing.")
                % {"field": column_label(missing)},
            )
        if point_type is not None and name:
            key = (point_type.pk, label_key(name))
            if key in seen:
                error(
                    "name",
                    _("“%(name)s” appears twice (first in row %(row)s).")
                    % {"name": shown(name), "row": seen[key]},
                )
            seen.setdefault(key, number)
        if errors:
            plan.errors.extend(errors)
            continue
        row_values = {
            "name": name,
            "type": point_type,
            "address": one_line(table.text(values, "address")),
            "latitude": latitude,
            "longitude": longitude,
            **units,
        }
        point = existing.get((point_type.pk, label_key(name)))
        if point is None:
            action = "create"
        elif all(getattr(point, k) == v for k, v in row_values.items()) and point.is_active:
            action = "unchanged"
        else:
            action = "update"
        plan.rows.append(PointRow(number, row_values, point, action))
    if not plan.rows and not plan.errors:
        plan.errors.append(
            RowError(plan.sheet, None, None, _("The sheet has a header but no points."))
        )
    return plan


def apply_points(plan, *, campaign, actor, filename=""):
    """Write a plan with no errors: every point created or updated, or none (one transaction)."""
    if plan.errors:
        raise WorkbookInvalid(plan.errors)
    with transaction.atomic():
        for row in plan.rows:
            if row.action == "unchanged":
                continue
            point = row.point or Point(campaign=campaign)
            for key, value in row.values.items():
                setattr(point, key, value)
            if row.point is not None:
                point.version += 1
            # An imported point is in use again, even if it had been taken out of use.
            point.is_active = True
            point.save()
        AuditEntry.record(
            actor=actor,
            campaign=campaign,
            action=AuditEntry.Action.IMPORT,
            summary=_("Imported the point list: %(create)s added, %(update)s changed.")
            % plan.counts,
            changes={"file": filename, "sheet": plan.sheet, **plan.counts},
        )
    return plan.counts


# How far and how many points the finding form offers near the inspector's location.
NEAREST_METRES = 300
NEAREST_COUNT = 5


def nearest_points(points, latitude, longitude, *, metres=NEAREST_METRES, count=NEAREST_COUNT):
    """The `count` points of `points` nearest a place within `metres`, each with `.distance`."""
    return within_metres(points.filter(is_active=True), latitude, longitude, metres)[:count]


# --- Hot spots (热点) ----------------------------------------------------------------------------


@dataclass
class HotSpot:
    """A point or an area with repeated findings or a relapse in the window."""

    place: object  # a Point or a Unit
    count: int  # findings in the window
    relapses: int  # of which relapses (反弹)
    previous: int  # findings in the window before

    @property
    def trend(self):
        return self.count - self.previous

    @property
    def is_point(self):
        return isinstance(self.place, Point)


@dataclass
class HotSpots:
    points: list
    areas: list
    start: datetime.date
    end: datetime.date
    settings: HotSpotSettings


def hot_spots(findings, *, campaign, on=None, limit=10):
    """Hot spots among `findings` (a scoped queryset) in the window ending `on` (inclusive).

    A point or an area (the territory a finding was recorded in) is hot with at least the
    campaign's `min_findings` findings in the last `window_days` days, or with a relapse in
    them. Voided findings do not count. Each hot spot carries the count of the window before,
    for the trend. A fixed number of queries whatever the size of the ledger.
    """
    settings = HotSpotSettings.for_campaign(campaign)
    end = on or timezone.localdate()
    days = datetime.timedelta(days=settings.window_days)
    start = end - days + datetime.timedelta(days=1)
    in_window = Q(found_on__gte=start)
    counted = (
        findings.filter(campaign=campaign, found_on__range=(start - days, end))
        .exclude(status=Status.VOIDED)
        .order_by()
    )
    result = HotSpots([], [], start, end, settings)
    for column, model, target in (
        ("point", Point, result.points),
        ("territory", Unit, result.areas),
    ):
        rows = (
            counted.filter(**{f"{column}__isnull": False})
            # The name comes with the counts: a place is shown by name and linked by id.
            .values(column, f"{column}__name")
            .annotate(
                count=Count("pk", filter=in_window),
                relapses=Count("pk", filter=in_window & Q(relapse_of__isnull=False)),
                previous=Count("pk", filter=~in_window),
            )
            .filter(Q(count__gte=settings.min_findings) | Q(relapses__gt=0))
            .order_by("-count", "-relapses", column)[:limit]
        )
        target.extend(
            HotSpot(
                model(pk=r[column], name=r[f"{column}__name"]),
                r["count"],
                r["relapses"],
                r["previous"],
            )
            for r in rows
        )
    return result


def hot_spots_for_bulletin(campaign, *, on, limit=10):
    """The city's hot spots in the window ending `on`, as plain values for a bulletin's frozen
    data: points first, then areas, each with its count, relapses and trend."""
    result = hot_spots(Finding.objects.all(), campaign=campaign, on=on, limit=limit)
    return [
        {
            "place": str(spot.place),
            "kind": "point" if spot.is_point else "area",
            "count": spot.count,
            "relapses": spot.relapses,
            "previous": spot.previous,
            "trend": spot.trend,
        }
        for spot in [*result.points, *result.areas]
    ]
