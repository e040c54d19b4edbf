"""The tree page's table is cached per system version, language and scope (issue 13, scale),
and any change to what it shows appears on the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaign.models import EvaluationSystem, IndicatorNode, Standard

from .conftest import SAMPLE, import_bytes
from .test_revision import revised_sample
from .test_tree import build_system


@pytest.fixture
def system(city):
    return build_system(city.campaign, city.command_office, [city.donghua], 4)


def page(client, system, query=""):
    response = client.get(system.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def assess(system, city, personas):
    Standard.objects.get(system=system, code="0").assess(actor=personas.office_admin, status="met")
    return '<span class="badge text-bg-success">达标</span>'


def reword(system, city, personas):
    standard = Standard.objects.get(system=system, code="1")
    standard.text = "改写后的标准"
    standard.save()
    return "改写后的标准"


def rename_unit(system, city, personas):
    city.donghua.name = "东华街道（新）"
    city.donghua.save()
    return "东华街道（新）"


def rename_command_office(system, city, personas):
    city.command_office.name = "新的指挥部"
    city.command_office.save()
    return '<td class="d-none d-lg-table-cell small">新的指挥部'


def rename_node(system, city, personas):
    node = IndicatorNode.objects.filter(system=system, level=0).first()
    node.name = "改名的项目"
    node.save()
    return "改名的项目"


def add_standard(system, city, personas):
    node = IndicatorNode.objects.filter(system=system, level=1).first()
    Standard.objects.create(system=system, node=node, code="99", text="新增的标准", points=1)
    return "新增的标准"


@pytest.mark.parametrize(
    "change", [assess, reword, rename_unit, rename_command_office, rename_node, add_standard]
)
def test_a_change_to_the_tree_appears_on_the_next_request(
    system, city, personas, client_for, change
):
    client = client_for(personas.office_admin)
    page(client, system)  # cached
    shown = change(system, city, personas)
    assert shown in page(client, system)


def test_a_cached_tree_reads_no_standards(system, personas, client_for):
    client = client_for(personas.office_admin)
    first = page(client, system)
    with CaptureQueriesContext(connection) as queries:
        second = page(client, system)
    tree = '<div id="system-tree">'
    assert second.split(tree)[1] == first.split(tree)[1]
    assert not [q for q in queries if "campaign_standard" in q["sql"]]


def test_each_scope_has_its_own_tree_and_a_unit_losing_standards_stops_seeing_them(
    city, personas, client_for
):
    # Led by 东华街道, shared with 西城区.
    system = build_system(city.campaign, None, [city.donghua, city.west], 4)
    office, street = client_for(personas.office_admin), client_for(personas.street_leader)
    west = client_for(personas.other_district_leader)
    for client in (office, street, west):
        assert "4 条测评标准" in page(client, system)
    # From the standard's side of the many-to-many, then from the unit's side.
    Standard.objects.get(system=system, code="0").responsible_units.remove(city.west)
    assert "3 条测评标准" in page(west, system)
    city.west.standards.remove(Standard.objects.get(system=system, code="1"))
    assert "2 条测评标准" in page(west, system)
    city.west.standards.clear()
    assert "0 条测评标准" in page(west, system)
    for client in (office, street):
        assert "4 条测评标准" in page(client, system)


def test_a_search_is_never_served_from_the_cache(system, personas, client_for):
    client = client_for(personas.office_admin)
    page(client, system)
    Standard.objects.filter(system=system, code="0").update(text="悄悄改写")  # no version bump
    assert "悄悄改写" in page(client, system, "?q=悄悄")


def test_a_revised_edition_retiring_standards_redraws_the_tree(org, personas, client_for):
    _plan, system = import_bytes(SAMPLE.read_bytes(), org, personas.office_admin)
    client = client_for(personas.office_admin)
    assert "评选表彰道德模范" in page(client, system)
    import_bytes(revised_sample(), org, personas.office_admin, system=system)
    assert "评选表彰道德模范" not in page(client, system)


def test_saving_a_system_read_before_a_bump_keeps_the_bump(system):
    stale = EvaluationSystem.objects.get(pk=system.pk)
    reword(system, None, None)
    bumped = EvaluationSystem.objects.get(pk=system.pk).tree_version
    assert bumped != stale.tree_version
    stale.name = "改名的体系"
    stale.save()
    assert EvaluationSystem.objects.get(pk=system.pk).tree_version == bumped
