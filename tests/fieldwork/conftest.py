"""Builders for the field-operation tests: points around 东城区/西城区 and findings at them."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from fieldwork.models import Point, PointType
from fieldwork.services import ensure_point_types
from inspections.models import FindingCategory
from inspections.services import log_finding
from tests.inspections.conftest import make_photo

# A street corner in the test city; 0.001° of latitude is about 111 m.
CENTRE = (Decimal("34.750000"), Decimal("113.650000"))


@pytest.fixture
def point_types(campaign):
    return {t.name: t for t in ensure_point_types(campaign)}


@pytest.fixture
def make_point(city, point_types):
    def make(name, *, type="农贸市场", territory=None, unit=None, at=CENTRE, **values):
        territory = territory or city.donghua
        return Point.objects.create(
            campaign=city.campaign,
            type=point_types[type],
            name=name,
            address=values.pop("address", f"{name}所在路1号"),
            latitude=at[0] if at else None,
            longitude=at[1] if at else None,
            territory=territory,
            unit=unit or territory,
            **values,
        )

    return make


@pytest.fixture
def finding_at(city, personas):
    category = FindingCategory.objects.create(campaign=city.campaign, name="卫生死角")

    def make(point=None, *, found_on=datetime.date(2026, 3, 2), territory=None, **values):
        return log_finding(
            campaign=city.campaign,
            actor=personas.inspector,
            photos=[make_photo()],
            description=values.pop("description", "垃圾未及时清运"),
            category=category,
            address=point.address if point else "某路1号",
            point=point,
            territory=territory or (point.territory if point else city.donghua),
            found_on=found_on,
            **values,
        )

    return make


@pytest.fixture
def photo():
    return make_photo


@pytest.fixture
def register(city):
    """Two point types with two standards each; 3 markets and 2 lanes in each district's streets."""
    campaign = city.campaign
    system = EvaluationSystem.objects.create(campaign=campaign, name="测评体系")
    item = IndicatorNode.objects.create(system=system, level=0, name="公共环境")
    content = IndicatorNode.objects.create(system=system, parent=item, level=1, name="市容环境")

    def standard(code, text):
        return Standard.objects.create(
            system=system, node=content, code=code, text=text, points=1, position=int(code[-1])
        )

    clean = standard("1.1", "地面干净无垃圾")
    stalls = standard("1.2", "无占道经营")
    ads = standard("1.3", "公益广告不少于3处")
    market = PointType.objects.create(campaign=campaign, name="农贸市场", position=1)
    lane = PointType.objects.create(campaign=campaign, name="背街小巷", position=2)
    market.standards.set([clean, stalls])
    lane.standards.set([clean, ads])
    points = {}
    for district, streets in ((city.east, [city.donghua, city.xinshi]), (city.west, [city.xiguan])):
        for kind, count in ((market, 3), (lane, 2)):
            for i in range(count):
                street = streets[i % len(streets)]
                name = f"{district.name}{kind.name}{i + 1}"
                points[name] = Point.objects.create(
                    campaign=campaign,
                    type=kind,
                    name=name,
                    address=f"{street.name}{i + 1}号",
                    latitude="30.000000",
                    longitude="120.000000",
                    territory=street,
                    unit=street,
                )
    return SimpleNamespace(
        market=market, lane=lane, clean=clean, stalls=stalls, ads=ads, points=points
    )
