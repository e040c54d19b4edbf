"""The rounds' pages: the plan form, the draw and redraw buttons (versioned, audited), the
phone form's refusals, the printed route sheets and who may open what."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.models import AuditEntry
from fieldwork import rounds
from fieldwork.models import Observation, Round, RoundDraw
from inspections.models import Source


@pytest.fixture
def drawn(city, personas, register):
    the_round = rounds.create_round(
        campaign=city.campaign,
        actor=personas.office_admin,
        name="暗访第3轮",
        kind=Source.UNDERCOVER,
        date=datetime.date(2026, 11, 20),
        quotas=[{"type": register.market.pk, "district": None, "count": 4}],
        inspectors=[personas.inspector],
    )
    rounds.draw(the_round, actor=personas.office_admin, seed=99)
    return the_round


def test_the_office_plans_a_round_with_counts_per_type_and_district(
    city, personas, register, client_for
):
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("fieldwork:round_create"),
        {
            "name": "模拟测评",
            "kind": "mock",
            "date": "2026-11-20",
            "inspectors": [personas.inspector.pk],
            "exclude_days": 14,
            "mostly_met_weight": "0.8",
            f"n_{register.market.pk}_{city.east.pk}": 2,
            f"n_{register.lane.pk}_0": 1,
        },
    )
    the_round = Round.objects.get()
    assert response.status_code == 302 and response.url == the_round.get_absolute_url()
    assert the_round.quotas == [
        {"type": register.market.pk, "district": city.east.pk, "count": 2},
        {"type": register.lane.pk, "district": None, "count": 1},
    ]
    assert the_round.inspection.kind == Source.MOCK and the_round.exclude_days == 14
    assert AuditEntry.objects.filter(object_id=str(the_round.pk), action="create").exists()
    empty = client.post(reverse("fieldwork:round_create"), {"name": "空", "kind": "mock"})
    assert empty.status_code == 200 and not empty.context["form"].is_valid()
    assert client_for(personas.inspector).get(reverse("fieldwork:round_create")).status_code == 403


def test_a_redraw_from_the_page_needs_the_current_version_and_a_reason(drawn, personas, client_for):
    client = client_for(personas.office_admin)
    url = reverse("fieldwork:round_redraw", args=[drawn.pk])
    stale = client.post(url, {"version": drawn.version - 1, "reason": "市场停业"})
    assert stale.status_code == 409
    no_reason = client.post(url, {"version": drawn.version, "reason": ""})
    assert no_reason.status_code == 400
    ok = client.post(url, {"version": drawn.version, "reason": "市场停业", "seed": 5})
    assert ok.status_code == 302
    assert list(RoundDraw.objects.filter(round=drawn).values_list("seed", "reason")) == [
        (99, ""),
        (5, "市场停业"),
    ]
    inspector = client_for(personas.inspector).post(url, {"version": 3, "reason": "x"})
    assert inspector.status_code == 403


def test_the_phone_form_refuses_a_not_met_without_a_photo(
    drawn, personas, register, client_for, photo
):
    rounds.start(drawn, actor=personas.office_admin)
    sample = drawn.sampled_points.first()
    url = reverse("fieldwork:round_observe", args=[drawn.pk, sample.pk])
    client = client_for(personas.inspector)
    page = client.get(url)
    assert page.status_code == 200 and register.stalls.text in page.content.decode()
    data = {f"rating_{register.clean.pk}": "not_met", f"rating_{register.stalls.pk}": "met"}
    refused = client.post(url, data)
    assert refused.status_code == 400 and not Observation.objects.exists()
    assert "照片" in refused.content.decode()
    data[f"photo_{register.clean.pk}"] = photo()
    assert client.post(url, data).status_code == 302
    assert Observation.objects.filter(sample=sample).count() == 2
    assert client.get(url).status_code == 200  # shows what was recorded


def test_route_sheets_group_each_inspectors_points_by_district(drawn, personas, client_for, city):
    page = client_for(personas.office_admin).get(reverse("fieldwork:round_route", args=[drawn.pk]))
    assert page.status_code == 200
    sheets = page.context["sheets"]
    assert [person for person, _districts in sheets] == [personas.inspector]
    districts = [d for d, _samples in sheets[0][1]]
    assert districts == sorted(districts, key=lambda d: d.pk)
    assert sum(len(samples) for _d, samples in sheets[0][1]) == 4


def test_units_get_404_on_every_round_page(drawn, personas, client_for):
    sample = drawn.sampled_points.first()
    client = client_for(personas.district_leader)
    for url in (
        drawn.get_absolute_url(),
        reverse("fieldwork:round_route", args=[drawn.pk]),
        reverse("fieldwork:round_report", args=[drawn.pk]),
        reverse("fieldwork:round_observe", args=[drawn.pk, sample.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert drawn.name not in client.get(reverse("fieldwork:round_list")).content.decode()


def test_the_round_list_and_a_round_page_keep_their_query_count(
    city, personas, register, client_for
):
    client = client_for(personas.office_admin)

    def make(n):
        made = []
        for i in range(n):
            the_round = rounds.create_round(
                campaign=city.campaign,
                actor=personas.office_admin,
                name=f"第{i}轮",
                kind=Source.UNDERCOVER,
                date=datetime.date(2026, 11, 20),
                quotas=[{"type": register.market.pk, "district": None, "count": 1 + i % 5}],
                inspectors=[personas.inspector],
            )
            rounds.draw(the_round, actor=personas.office_admin, seed=i)
            made.append(the_round)
        return made

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    small = make(2)
    few = (count(reverse("fieldwork:round_list")), count(small[0].get_absolute_url()))
    large = make(10)
    many = (count(reverse("fieldwork:round_list")), count(large[-1].get_absolute_url()))
    assert few == many
