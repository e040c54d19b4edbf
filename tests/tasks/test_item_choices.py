"""The task list's "evaluation item" choices kept between requests (campaign.choices_cache):
the items of the tasks the person sees, read once per campaign version and scope, and a task
made, moved or deleted, or an item renamed, shown on the very next request."""

import datetime

from campaign.models import EvaluationSystem, IndicatorNode
from tasks.models import Task
from tasks.services import GenerationMode, generate_tasks, plan_generation

from ..campaign.test_choices_cache import options, visit
from .conftest import TODAY, generation_standard, make_task

LIST = "/tasks/"


def items(client):
    page, sql = visit(client, LIST)
    return options(page, "item")[1:], sql  # after "All items"


def test_a_second_visit_reads_no_items_and_a_new_task_shows_on_the_next(city, personas, client_for):
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    roads = IndicatorNode.objects.create(system=system, level=0, name="道路<整洁>")
    make_task(city, item=roads)
    client = client_for(personas.office_admin)
    assert items(client)[0] == ["道路&lt;整洁&gt;"]
    shown, sql = items(client)
    assert shown == ["道路&lt;整洁&gt;"]
    assert "campaign_indicatornode" not in sql
    parks = IndicatorNode.objects.create(system=system, level=0, name="公园", position=1)
    # Without history (which would protect it from deletion): made by mistake.
    task = Task.objects.create(
        campaign=city.campaign, title="公园整治", lead_unit=city.donghua, deadline=TODAY, item=parks
    )
    assert items(client)[0] == ["道路&lt;整洁&gt;", "公园"]
    roads.name = "道路"
    roads.save()
    assert items(client)[0] == ["道路", "公园"]
    task.delete()
    assert items(client)[0] == ["道路"]


def test_a_renamed_system_shows_in_the_names_of_namesakes(city, personas, client_for):
    first = EvaluationSystem.objects.create(campaign=city.campaign, name="甲体系")
    second = EvaluationSystem.objects.create(campaign=city.campaign, name="乙体系")
    make_task(city, item=IndicatorNode.objects.create(system=first, level=0, name="思想道德建设"))
    make_task(city, item=IndicatorNode.objects.create(system=second, level=0, name="思想道德建设"))
    client = client_for(personas.office_admin)
    assert set(items(client)[0]) == {"思想道德建设（甲体系）", "思想道德建设（乙体系）"}
    second.name = "丙体系"
    second.save()
    assert set(items(client)[0]) == {"思想道德建设（甲体系）", "思想道德建设（丙体系）"}


def test_a_task_handed_to_another_unit_moves_its_item_between_people(city, personas, client_for):
    system = EvaluationSystem.objects.create(campaign=city.campaign, name="测评体系")
    roads = IndicatorNode.objects.create(system=system, level=0, name="道路")
    task = make_task(city, item=roads, lead_unit=city.xinshi, office=False)
    donghua = client_for(personas.street_leader)
    assert items(donghua)[0] == []
    task.change_assignment(actor=personas.office_admin, lead_unit=city.donghua)
    assert items(donghua)[0] == ["道路"]
    task.refresh_from_db()
    task.change_assignment(
        actor=personas.office_admin, lead_unit=city.xinshi, responsible_units=[city.donghua1]
    )
    assert items(donghua)[0] == ["道路"]  # 东华第1社区 is below 东华街道
    task.refresh_from_db()
    task.responsible_units.clear()
    assert items(donghua)[0] == []


def test_generated_tasks_show_their_items_on_the_next_request(city, personas, client_for):
    client = client_for(personas.office_admin)
    assert items(client)[0] == []
    system, item, content, standard = generation_standard(city, system_name="测评体系")
    standard.responsible_units.set([city.east])
    plan = plan_generation(
        system=system, mode=GenerationMode.PER_STANDARD, deadline=datetime.date(2026, 9, 30)
    )
    generate_tasks(plan, campaign=city.campaign, actor=personas.office_admin)
    assert items(client)[0] == ["公共环境"]
