"""A task shared by several units has one part per unit: each unit reports, submits and is
accepted on its own part; the task rolls up from its parts; every count counts parts."""

import datetime

import pytest
from django.urls import reverse

from campaign.models import Membership, Role
from campaign.transitions import DomainError
from reports.rankings import compute_figures
from tasks.models import ProgressUpdate, Task, TaskPart
from tasks.services import build_battle_map

from .conftest import make_task, part_of


@pytest.fixture
def shared(city):
    """市城管局 leads; the streets 东华街道 and 新市街道 are responsible; 东城区 cooperates."""
    task = make_task(
        city,
        lead_unit=city.chengguan,
        responsible=[city.donghua, city.xinshi],
        title="占道经营集中整治",
    )
    task.cooperating_units.set([city.east])
    task.sync_parts()
    return task


@pytest.fixture
def xinshi_liaison(city):
    from campaign.models import Person

    person = Person.objects.create_user(username="xinshi_ll", password="pw", name="何明")
    Membership.objects.create(
        person=person, campaign=city.campaign, role=Role.UNIT_LIAISON, unit=city.xinshi
    )
    return person


def submit(part, person, text="全部整改到位"):
    part.report_progress(actor=person, text=text, progress=100, submit=True)


def test_every_unit_the_task_names_gets_its_own_part(shared, city):
    roles = {p.unit.name: p.role for p in shared.parts.select_related("unit")}
    assert roles == {
        "市城管局": TaskPart.Role.LEAD,
        "东华街道": TaskPart.Role.RESPONSIBLE,
        "新市街道": TaskPart.Role.RESPONSIBLE,
        "东城区": TaskPart.Role.COOPERATING,
    }


def test_one_street_submitting_and_being_accepted_does_not_accept_the_whole_task(
    shared, city, personas
):
    donghua = part_of(shared, city.donghua)
    submit(donghua, personas.street_liaison)
    donghua.accept(actor=personas.command_staff, note="同意")
    shared.refresh_from_db()
    assert part_of(shared, city.donghua).status == Task.Status.ACCEPTED
    assert part_of(shared, city.xinshi).status == Task.Status.NOT_STARTED
    assert shared.status == Task.Status.IN_PROGRESS
    # Progress is the mean of the parts that answer for the task (lead and responsible).
    assert shared.progress == 33


def test_the_task_is_accepted_when_every_responsible_part_is_accepted(
    shared, city, personas, xinshi_liaison
):
    submit(part_of(shared, city.donghua), personas.street_liaison)
    submit(part_of(shared, city.xinshi), xinshi_liaison)
    submit(part_of(shared, city.chengguan), personas.department_leader)
    shared.refresh_from_db()
    assert shared.status == Task.Status.SUBMITTED
    for part in shared.parts.exclude(role=TaskPart.Role.COOPERATING):
        part.accept(actor=personas.command_staff)
    shared.refresh_from_db()
    # The cooperating district has not reported: it does not hold the task up.
    assert shared.status == Task.Status.ACCEPTED
    assert shared.accepted_at is not None


def test_a_unit_reports_only_on_its_own_part(shared, city, personas):
    lead_part = part_of(shared, city.chengguan)
    with pytest.raises(DomainError):
        lead_part.report_progress(actor=personas.street_liaison, text="代报", progress=50)
    # Not even a unit above may report for a street: the district reports on its own part.
    with pytest.raises(DomainError):
        part_of(shared, city.donghua).report_progress(
            actor=personas.district_leader, text="代报", progress=50
        )
    part_of(shared, city.east).report_progress(
        actor=personas.district_leader, text="区级配合工作已部署", progress=50
    )
    assert ProgressUpdate.objects.get().part.unit == city.east


def test_a_street_reports_its_own_part_of_a_task_led_by_the_district_above(
    city, personas, client_for
):
    # Generated per district: 东城区 leads, its streets are responsible.
    task = make_task(city, lead_unit=city.east, responsible=[city.donghua, city.xinshi])
    client = client_for(personas.street_liaison)
    page = client.get(task.get_absolute_url())
    # The form is for the street's own part, never the district's or the task's.
    assert page.context["reporting_part"] == part_of(task, city.donghua)
    assert (
        'action="{}"'.format(reverse("tasks:part_progress", args=[part_of(task, city.donghua).pk]))
        in page.content.decode()
    )
    district_part = part_of(task, city.east)
    response = client.post(
        reverse("tasks:part_progress", args=[district_part.pk]),
        {"text": "x", "progress": 100, "submit": "on", "version": district_part.version},
    )
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == Task.Status.NOT_STARTED


def test_the_page_shows_the_persons_own_part_and_form_first_and_the_others_collapsed(
    shared, city, personas, client_for
):
    page = client_for(personas.street_liaison).get(shared.get_absolute_url())
    assert [p.unit for p in page.context["own_parts"]] == [city.donghua]
    assert page.context["reporting_part"].unit == city.donghua
    html = page.content.decode()
    assert html.index('id="report-progress"') < html.index('id="other-parts"')
    assert '<details class="card mb-3" id="other-parts">' in html  # collapsed
    assert dict(page.context["other_counts"]) == {Task.Status.NOT_STARTED.label: 3}


def test_the_lead_unit_sees_everyones_part(shared, city, personas, client_for):
    submit(part_of(shared, city.donghua), personas.street_liaison)
    page = client_for(personas.department_leader).get(shared.get_absolute_url())
    others = {p.unit.name: p.status for p in page.context["other_parts"]}
    assert others["东华街道"] == Task.Status.SUBMITTED
    assert len(others) == 3


def test_the_command_office_accepts_one_part_and_returns_another_from_the_page(
    shared, city, personas, client_for, xinshi_liaison
):
    donghua, xinshi = part_of(shared, city.donghua), part_of(shared, city.xinshi)
    submit(donghua, personas.street_liaison)
    submit(xinshi, xinshi_liaison)
    staff = client_for(personas.command_staff)
    page = staff.get(shared.get_absolute_url())
    assert {p.unit for p in page.context["to_decide"]} == {city.donghua, city.xinshi}
    staff.post(
        reverse("tasks:part_accept", args=[donghua.pk]),
        {"note": "同意", "version": donghua.version},
    )
    staff.post(
        reverse("tasks:part_return", args=[xinshi.pk]),
        {"note": "缺少整改前后对比照片", "version": xinshi.version},
    )
    donghua.refresh_from_db()
    xinshi.refresh_from_db()
    assert (donghua.status, xinshi.status) == (Task.Status.ACCEPTED, Task.Status.RETURNED)
    page = staff.get(shared.get_absolute_url())
    assert page.context["accepted_parts"] == 1
    returned = xinshi.events.get(kind="returned")
    assert returned.note == "缺少整改前后对比照片" and returned.task == shared


def test_the_battle_map_and_rankings_count_each_units_own_part(shared, city, personas):
    submit(part_of(shared, city.donghua), personas.street_liaison)
    part_of(shared, city.donghua).accept(actor=personas.command_staff)
    streets = [city.donghua, city.xinshi, city.chengguan]
    data = build_battle_map(Task.objects.filter(pk=shared.pk), visible_units=streets)
    office = city.command_office.pk
    assert data.grid[(office, city.donghua.pk)].accepted == 1
    assert data.grid[(office, city.xinshi.pk)].accepted == 0
    assert data.grid[(office, city.xinshi.pk)].total == 1
    assert data.total.total == 4  # four units' parts of one task

    today = datetime.date.today()
    shared.deadline = today - datetime.timedelta(days=1)
    shared.save(update_fields=["deadline"])
    rows = {
        r.unit_name: r
        for r in compute_figures(
            campaign=city.campaign, start=today, end=today + datetime.timedelta(days=1)
        )
    }
    assert (rows["东华街道"].tasks_due, rows["东华街道"].tasks_done) == (1, 1)
    assert (rows["新市街道"].tasks_due, rows["新市街道"].tasks_overdue) == (1, 1)
    assert rows["东华街道"].tasks_overdue == 0
    # The district counts its own part and those of its streets.
    assert rows["东城区"].tasks_due == 3


def test_changing_the_units_adds_their_parts_and_keeps_reported_ones(shared, city, personas):
    part_of(shared, city.donghua).report_progress(
        actor=personas.street_liaison, text="已开始", progress=20
    )
    shared.change_assignment(
        actor=personas.office_admin, lead_unit=city.chengguan, responsible_units=[city.west]
    )
    units = set(shared.parts.values_list("unit__name", flat=True))
    # 新市街道's untouched part goes; 东华街道 reported, so its part and history stay.
    assert units == {"市城管局", "西城区", "东华街道", "东城区"}
