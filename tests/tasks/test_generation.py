"""Generating tasks from the sample evaluation system: preview, confirm, no duplicates."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from campaign.management.commands.seed_demo import COMMAND_OFFICES
from campaign.models import CommandOffice, Standard, Unit
from campaign.services import apply_organisation, read_organisation
from tasks.models import Task, TaskEvent
from tasks.services import GenerationMode, generate_tasks, plan_generation

from .conftest import generation_standard

DATA = Path(__file__).resolve().parent.parent / "data"
DEADLINE = datetime.date(2026, 9, 30)


@pytest.fixture
def sample_system(campaign, personas):
    """The sample organisation and indicator workbooks imported as an office would."""
    indicator_import = pytest.importorskip("campaign.indicator_import")
    plan = read_organisation((DATA / "organisation.xlsx").read_bytes(), campaign=campaign)
    assert not plan.errors
    apply_organisation(plan, campaign=campaign, actor=personas.office_admin)
    for name, members in COMMAND_OFFICES.items():
        office, _ = CommandOffice.objects.get_or_create(campaign=campaign, name=name)
        office.units.add(*Unit.objects.filter(campaign=campaign, name__in=members))
    data = (DATA / "indicator-system.xlsx").read_bytes()
    plan = indicator_import.read_indicators(
        data, campaign=campaign, filename="indicator-system.xlsx"
    )
    assert plan.all_errors == []
    return indicator_import.apply_indicators(plan, campaign=campaign, actor=personas.office_admin)


def test_one_task_per_standard_carries_its_units_office_item_and_deadline(sample_system, personas):
    standards = Standard.objects.filter(system=sample_system)
    plan = plan_generation(
        system=sample_system, mode=GenerationMode.PER_STANDARD, deadline=DEADLINE
    )
    assert len(plan.tasks) == standards.count()
    created = generate_tasks(plan, campaign=sample_system.campaign, actor=personas.office_admin)
    assert len(created) == plan.counts["new"] > 0
    for task in Task.objects.filter(standard__isnull=False).select_related("standard", "item"):
        standard = task.standard
        assert task.lead_unit_id == (standard.lead_unit_id or standard.responsible_units.first().pk)
        assert task.command_office_id == standard.lead_command_office_id
        assert task.deadline == (standard.deadline or DEADLINE)
        assert task.item.level == 0 and task.item.system_id == sample_system.pk
        expected = set(standard.responsible_units.values_list("pk", flat=True)) - {
            task.lead_unit_id
        }
        assert set(task.responsible_units.values_list("pk", flat=True)) == expected
    assert TaskEvent.objects.filter(kind="created").count() == len(created)


def test_each_lead_unit_gets_one_message_listing_its_generated_tasks(
    sample_system, personas, django_capture_on_commit_callbacks
):
    from campaign.models import Membership, Notification

    plan = plan_generation(
        system=sample_system, mode=GenerationMode.PER_STANDARD, deadline=DEADLINE
    )
    with django_capture_on_commit_callbacks(execute=True):
        generate_tasks(plan, campaign=sample_system.campaign, actor=personas.office_admin)
    busiest = max(
        {t.lead_unit for t in plan.tasks if t.creatable},
        key=lambda u: Task.objects.filter(lead_unit=u).count(),
    )
    people = Membership.objects.filter(unit=busiest).values_list("person", flat=True)
    assert people
    for person in people:
        (note,) = Notification.objects.filter(recipient=person)
        assert str(Task.objects.filter(lead_unit=busiest).count()) in note.subject


def test_generating_twice_creates_nothing_new(sample_system, personas):
    campaign = sample_system.campaign
    first = plan_generation(
        system=sample_system, mode=GenerationMode.PER_STANDARD, deadline=DEADLINE
    )
    generate_tasks(first, campaign=campaign, actor=personas.office_admin)
    count = Task.objects.count()
    again = plan_generation(
        system=sample_system, mode=GenerationMode.PER_STANDARD, deadline=DEADLINE
    )
    assert again.counts["new"] == 0
    assert again.counts["existing"] == count
    assert generate_tasks(again, campaign=campaign, actor=personas.office_admin) == []
    assert Task.objects.count() == count


def test_splitting_per_district_gives_each_district_its_own_task(sample_system, personas):
    campaign = sample_system.campaign
    districts = Unit.objects.filter(campaign=campaign, kind=Unit.Kind.DISTRICT)
    standard_count = Standard.objects.filter(system=sample_system).count()
    plan = plan_generation(
        system=sample_system, mode=GenerationMode.PER_DISTRICT, deadline=DEADLINE
    )
    assert len(plan.tasks) == standard_count * districts.count()
    generate_tasks(plan, campaign=campaign, actor=personas.office_admin)
    for district in districts:
        assert Task.objects.filter(lead_unit=district).count() == standard_count
        for task in Task.objects.filter(lead_unit=district).prefetch_related("responsible_units"):
            assert all(u.is_within(district) for u in task.responsible_units.all())
            assert f"（{district.name}）" in task.title


def test_the_office_previews_then_confirms_only_the_ticked_tasks(
    sample_system, personas, client_for
):
    client = client_for(personas.office_admin)
    response = client.post(
        reverse("tasks:task_generate"),
        {
            "system": sample_system.pk,
            "mode": GenerationMode.PER_STANDARD,
            "use_standard_deadlines": "on",
            "deadline": DEADLINE.isoformat(),
            "priority": "normal",
        },
    )
    assert response.status_code == 200
    assert Task.objects.count() == 0  # the preview writes nothing
    keys = [t.key for t in response.context["plan"].tasks if t.creatable]
    client.post(reverse("tasks:task_generate"), {"confirm": "1", "include": keys[:3]})
    assert Task.objects.count() == 3


def test_units_people_cannot_generate(sample_system, personas, client_for):
    assert (
        client_for(personas.district_leader).get(reverse("tasks:task_generate")).status_code == 403
    )


def test_generation_works_from_standards_built_directly(city, personas):
    system, item, content, standard = generation_standard(city, system_name="测试体系")
    standard.responsible_units.set([city.east, city.west])
    orphan = Standard.objects.create(
        system=system, node=content, text="无责任单位", points=1, position=2
    )
    plan = plan_generation(system=system, mode=GenerationMode.PER_STANDARD, deadline=DEADLINE)
    assert plan.counts == {"new": 1, "existing": 0, "problems": 1}
    assert next(t for t in plan.tasks if t.standard == orphan).problem
    (task,) = generate_tasks(plan, campaign=city.campaign, actor=personas.office_admin)
    assert task.item == item
    assert set(task.responsible_units.all()) == {city.east, city.west}
    split = plan_generation(system=system, mode=GenerationMode.PER_DISTRICT, deadline=DEADLINE)
    east = next(t for t in split.tasks if t.lead_unit == city.east and t.standard == standard)
    assert east.cooperating_units == [city.chengguan]
