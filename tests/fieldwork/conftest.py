"""Builders for the rounds tests: point types with standards, and points in both districts."""

from types import SimpleNamespace

import pytest

from campaign.models import EvaluationSystem, IndicatorNode, Standard
from fieldwork.models import Point, PointType
from tests.inspections.conftest import make_photo


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
