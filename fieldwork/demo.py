"""Demo points for seed_demo: 36 points of every type across the demo city's four districts,
with WGS-84 coordinates around the city centre."""

from decimal import Decimal

from campaign.models import Unit

from .models import DEFAULT_POINT_TYPES, Point
from .services import ensure_point_types

CENTRE = (Decimal("34.7500"), Decimal("113.6500"))
# Each district's offset from the centre, in degrees (north, east).
DISTRICT_OFFSETS = {
    "东城区": (Decimal("0.015"), Decimal("0.030")),
    "西城区": (Decimal("0.005"), Decimal("-0.035")),
    "南湖区": (Decimal("-0.030"), Decimal("0.000")),
    "北山县": (Decimal("0.050"), Decimal("-0.010")),
}
# How a point of each type is named after its street, and the department that manages it.
NAMING = {
    "农贸市场": ("{}农贸市场", "市市场监管局"),
    "背街小巷": ("{}里", None),
    "学校周边": ("{}小学周边", "市教育局"),
    "公共广场": ("{}广场", "市城管局"),
    "交通场站": ("{}公交枢纽站", "市交通运输局"),
    "医院": ("{}医院", None),
    "居民小区": ("{}花园小区", "市住建局"),
    "窗口单位": ("{}便民服务中心", "市政务服务管理局"),
    "主次干道": ("{}路", "市城管局"),
    "商业大街": ("{}商业街", "市商务局"),
    "公园景区": ("{}公园", "市住建局"),
    "文化场馆": ("{}文化站", "市文广旅局"),
}


def seed(campaign):
    """Create the demo points unless the campaign has points already. Returns how many."""
    if Point.objects.filter(campaign=campaign).exists():
        return 0
    types = {t.name: t for t in ensure_point_types(campaign)}
    units = {u.name: u for u in Unit.objects.filter(campaign=campaign)}
    streets = [
        u
        for u in Unit.objects.filter(campaign=campaign, kind=Unit.Kind.STREET).select_related(
            "parent"
        )
        if u.parent and u.parent.name in DISTRICT_OFFSETS
    ]
    points = []
    for i, street in enumerate(sorted(streets, key=lambda u: u.path)):
        north, east = DISTRICT_OFFSETS[street.parent.name]
        stem = street.name.removesuffix("街道").removesuffix("镇")
        for slot in range(3):
            type_name = DEFAULT_POINT_TYPES[(3 * i + slot) % len(DEFAULT_POINT_TYPES)]
            pattern, department = NAMING[type_name]
            community = units.get(f"{stem}第{slot + 1}社区", street)
            points.append(
                Point(
                    campaign=campaign,
                    type=types[type_name],
                    name=pattern.format(stem),
                    address=f"{street.parent.name}{stem}路{18 + 6 * slot}号",
                    latitude=CENTRE[0]
                    + north
                    + Decimal("0.006") * (i % 3)
                    + Decimal("0.0021") * slot,
                    longitude=CENTRE[1]
                    + east
                    + Decimal("0.007") * (i % 3)
                    - Decimal("0.0017") * slot,
                    territory=community,
                    unit=street,
                    department=units.get(department) if department else None,
                )
            )
    Point.objects.bulk_create(points)
    return len(points)
