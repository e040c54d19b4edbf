"""Builders for the field-operation tests: points around 东城区/西城区 and findings at them."""

import datetime
from decimal import Decimal

import pytest

from fieldwork.models import Point
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
