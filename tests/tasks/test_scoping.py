"""Another unit's task is 404 for viewing and for every action; read-only roles get 403."""

import pytest
from django.urls import reverse

from tasks.models import Task, TaskEvidence

from .conftest import make_task, photo_upload

ACTIONS = [
    ("get", "tasks:task_detail"),
    ("get", "tasks:task_edit"),
    ("post", "tasks:task_edit"),
    ("get", "tasks:task_deadline"),
    ("post", "tasks:task_deadline"),
    ("get", "tasks:task_reassign"),
    ("post", "tasks:task_reassign"),
]


PART_ACTIONS = ["tasks:part_progress", "tasks:part_accept", "tasks:part_return"]


@pytest.mark.parametrize(("method", "name"), ACTIONS)
def test_another_districts_task_is_404_for_view_and_every_action(
    task, personas, client_for, method, name
):
    client = client_for(personas.other_district_leader)
    response = getattr(client, method)(reverse(name, args=[task.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", PART_ACTIONS)
def test_another_districts_part_is_404_for_every_action(part, personas, client_for, name):
    client = client_for(personas.other_district_leader)
    assert client.post(reverse(name, args=[part.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["other_district_leader", "department_leader"])
def test_evidence_of_another_units_task_is_404(part, personas, client_for, persona):
    update = part.report_progress(
        actor=personas.street_liaison,
        text="照片",
        progress=10,
        photos=[__import__("campaign.uploads").uploads.prepare_photo(photo_upload())],
    )
    evidence = TaskEvidence.objects.get(update=update)
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("tasks:evidence_file", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("tasks:evidence_thumbnail", args=[evidence.pk])).status_code == 404
    own = client_for(personas.street_leader)
    assert own.get(reverse("tasks:evidence_file", args=[evidence.pk])).status_code == 200


def test_units_above_see_the_task_and_siblings_do_not(city, personas, client_for):
    task = make_task(city, lead_unit=city.donghua1)
    assert client_for(personas.district_leader).get(task.get_absolute_url()).status_code == 200
    assert client_for(personas.street_leader).get(task.get_absolute_url()).status_code == 200
    sibling = make_task(city, lead_unit=city.donghua2, title="东华第2社区的任务")
    assert client_for(personas.community_leader).get(sibling.get_absolute_url()).status_code == 404


def test_the_other_district_sees_none_of_it_in_lists_or_the_battle_map(task, personas, client_for):
    client = client_for(personas.other_district_leader)
    for name in ("tasks:task_list", "tasks:task_mine", "tasks:battle_map"):
        page = client.get(reverse(name)).content.decode()
        assert task.title not in page
        assert "东华街道" not in page
    export = client.get(reverse("tasks:task_export"), {"format": "csv"})
    assert task.title not in b"".join(export.streaming_content).decode("utf-8-sig")


def test_the_unit_filter_offers_only_the_persons_units(task, personas, client_for):
    page = client_for(personas.street_leader).get(reverse("tasks:task_list")).content.decode()
    assert "东华第1社区" in page
    assert "西关街道" not in page
    assert "市城管局" not in page


def test_a_read_only_leader_sees_the_task_but_may_not_act(task, part, personas, client_for):
    client = client_for(personas.leader)
    assert client.get(task.get_absolute_url()).status_code == 200
    assert (
        client.post(reverse("tasks:part_progress", args=[part.pk]), {"text": "x", "progress": 1})
    ).status_code == 403
    assert client.post(reverse("tasks:part_accept", args=[part.pk])).status_code == 403
    assert client.get(reverse("tasks:task_create")).status_code == 403


def test_unit_people_may_report_but_not_accept_their_own_work(part, personas, client_for):
    part.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    client = client_for(personas.street_leader)
    assert client.post(reverse("tasks:part_accept", args=[part.pk])).status_code == 403
    part.refresh_from_db()
    assert part.status == Task.Status.SUBMITTED


def test_command_staff_cannot_manage_another_offices_tasks(city, personas, client_for):
    from campaign.models import CommandOffice

    other = CommandOffice.objects.create(campaign=city.campaign, name="文明素质指挥部")
    task = make_task(city, lead_unit=city.chengguan, office=False, command_office=other)
    client = client_for(personas.command_staff)
    # Tasks are visible to command staff through their own office only.
    assert client.get(task.get_absolute_url()).status_code == 404
    assert client.get(reverse("tasks:task_edit", args=[task.pk])).status_code == 404
    part = task.parts.get()
    assert client.post(reverse("tasks:part_accept", args=[part.pk])).status_code == 404
