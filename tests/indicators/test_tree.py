"""The tree page: points rolled up per level, filters, a query count that does not grow, export."""

import io
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from campaign.indicator_import import read_indicators
from campaign.models import EvaluationSystem, IndicatorNode, Standard


def build_system(campaign, office, units, count):
    """A three-level system with `count` standards spread over items and contents."""
    system = EvaluationSystem.objects.create(
        campaign=campaign, name=f"体系{count}", level_names=["测评项目", "测评内容"]
    )
    for n in range(count):
        if n % 4 == 0:
            item = IndicatorNode.objects.create(system=system, level=0, name=f"项目{n}", position=n)
            content = IndicatorNode.objects.create(
                system=system, parent=item, level=1, name=f"内容{n}", position=n
            )
        standard = Standard.objects.create(
            system=system,
            node=content,
            code=f"{n}",
            text=f"标准{n}",
            points=Decimal("1.5"),
            methods=["field_check", "document_review"] if n % 2 else ["survey"],
            is_veto=n == 3,
            lead_command_office=office,
            lead_unit=units[0],
            position=n,
        )
        standard.responsible_units.set(units)
    return system


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_tree_page_query_count_is_the_same_for_few_and_many_standards(personas, city, client_for):
    units = [city.donghua, city.chengguan, city.east]
    few = build_system(city.campaign, city.command_office, units, 2)
    many = build_system(city.campaign, city.command_office, units, 40)
    for person in (personas.office_admin, personas.street_leader, personas.command_staff):
        client = client_for(person)
        client.get(few.get_absolute_url())  # warm the session and scope
        cache.clear()  # drawn, then from the cache
        for _drawn_then_cached in range(2):
            assert count_queries(client, few.get_absolute_url()) == count_queries(
                client, many.get_absolute_url()
            )


def test_score_and_archive_query_counts_do_not_grow_either(personas, city, client_for):
    units = [city.donghua, city.chengguan]
    few = build_system(city.campaign, city.command_office, units, 2)
    many = build_system(city.campaign, city.command_office, units, 40)
    client = client_for(personas.office_admin)
    for name in ("campaign:system_score", "campaign:evidence_archive"):
        assert count_queries(client, reverse(name, args=[few.pk])) == count_queries(
            client, reverse(name, args=[many.pk])
        )


def test_tree_rolls_points_up_per_level_and_filters_keep_the_matching_branches(
    sample_system, personas, client_for
):
    client = client_for(personas.office_admin)
    url = sample_system.get_absolute_url()
    response = client.get(url)
    rows = response.context["rows"]
    items = [r for r in rows if r.get("node") and r["level"] == 0]
    assert len(items) == 9
    environment = next(r for r in items if r["node"].name == "公共环境")
    assert environment["score"].points == Decimal("9.5")
    assert response.context["total"].points == Decimal("31.5")
    assert 'id="tree-total-points">31.5<' in response.content.decode()

    vetoes = client.get(url, {"veto": "true"}).context
    assert [r["standard"].text[:6] for r in vetoes["rows"] if "standard" in r] == ["城市空气质量"]
    surveys = client.get(url, {"method": "survey"}).context["total"]
    assert surveys.standard_count == 3
    office = sample_system.standards.get(text__startswith="城市空气质量").lead_command_office
    by_office = client.get(url, {"command_office": office.pk}).context["rows"]
    assert all(
        r["standard"].lead_command_office__name == office.name for r in by_office if "standard" in r
    )
    searched = client.get(url, {"q": "垃圾分类"}).context
    assert searched["total"].standard_count == 1
    htmx = client.get(url, {"q": "垃圾"}, headers={"HX-Request": "true"})
    assert "<html" not in htmx.content.decode()


def test_tree_filters_by_difficulty(sample_system, personas, client_for):
    Standard.objects.filter(system=sample_system, code="1.1.1").update(difficulty="hard")
    context = (
        client_for(personas.office_admin)
        .get(sample_system.get_absolute_url(), {"difficulty": "hard"})
        .context
    )
    assert [r["standard"].code for r in context["rows"] if "standard" in r] == ["1.1.1"]


def test_export_writes_a_workbook_that_imports_back_to_the_same_tree(
    org, sample_system, personas, client_for
):
    response = client_for(personas.office_admin).get(
        reverse("campaign:system_export", args=[sample_system.pk])
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "测评项目"
    plan = read_indicators(data, campaign=org, filename="export.xlsx", system=sample_system)
    assert plan.all_errors == []
    assert plan.level_counts == [9, 22, 28]
    assert plan.total_points == Decimal("31.5")
    assert plan.diff.unchanged == 28


def test_tree_page_reads_no_responsible_units_it_does_not_show(personas, city, client_for):
    system = build_system(city.campaign, city.command_office, [city.donghua, city.chengguan], 8)
    client = client_for(personas.office_admin)
    client.get(system.get_absolute_url())  # warm the session and scope

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(system.get_absolute_url()).status_code == 200

    through = Standard.responsible_units.through._meta.db_table
    assert not [q["sql"] for q in ctx.captured_queries if through in q["sql"]]
