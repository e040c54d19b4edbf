"""Yellow, red and overdue are derived when read, from the deadline, the working-day calendar
and completion; every page that shows or counts them agrees, and no job has to run first."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.rankings import compute_figures
from reports.sections import headline
from tasks.models import Task

from .conftest import make_task

D = datetime.date
# Sunday 15 Feb 2026, in the Spring Festival holiday: Saturday 14 Feb was a 调休 working day,
# and the next working day is Tuesday 24 Feb.
SUNDAY = D(2026, 2, 15)
pytestmark = pytest.mark.usefixtures("calendar_seeded")


@pytest.fixture
def fixed_today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return real(value, timezone) if value is not None else SUNDAY

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return SUNDAY


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


@pytest.fixture
def lights(city, fixed_today, settings):
    """Tasks around the 调休 weekend, none of them ever touched by the daily job."""
    settings.TASK_WARNING_WORKING_DAYS = 1
    before = datetime.timedelta(days=3)
    return {
        # Due on the 调休 Saturday, not done: overdue on Sunday.
        "saturday": make_task(city, deadline=D(2026, 2, 14), title="调休日到期"),
        "returned": make_task(
            city, deadline=D(2026, 2, 12), title="退回重做", status=Task.Status.RETURNED
        ),
        "in_other_district": make_task(
            city, lead_unit=city.xiguan, deadline=D(2026, 2, 13), title="西关逾期"
        ),
        # Handed in (or accepted) before the deadline passed: not overdue.
        "submitted": make_task(
            city,
            deadline=D(2026, 2, 13),
            title="已提交",
            status=Task.Status.SUBMITTED,
            progress=100,
            submitted_at=_at(D(2026, 2, 13) - before),
        ),
        "accepted": make_task(
            city,
            deadline=D(2026, 2, 10),
            title="已验收",
            status=Task.Status.ACCEPTED,
            progress=100,
            submitted_at=_at(D(2026, 2, 9)),
            accepted_at=_at(D(2026, 2, 9)),
        ),
        # The next working day after the holiday is 24 Feb: yellow; the 25th is not.
        "yellow": make_task(city, deadline=D(2026, 2, 24), title="节后到期"),
        "later": make_task(city, deadline=D(2026, 2, 25), title="稍远"),
    }


def test_lights_come_from_the_deadline_and_the_calendar_without_the_daily_job(lights):
    by_pk = {t.pk: t.light for t in Task.objects.with_light()}
    light = {name: by_pk[task.pk] for name, task in lights.items()}
    assert light == {
        "saturday": "red",
        "returned": "red",
        "in_other_district": "red",
        "submitted": "",
        "accepted": "",
        "yellow": "yellow",
        "later": "",
    }


def test_overdue_counts_agree_on_list_filter_dashboard_battle_map_and_bulletin(
    lights, personas, client_for
):
    client = client_for(personas.office_admin)
    listed = client.get(reverse("tasks:task_list")).context["page"].object_list
    on_list = sum(task["light"] == "red" for task in listed)
    filtered = client.get(reverse("tasks:task_list"), {"overdue": "on"}).context["page"]
    dashboard = client.get(reverse("reports:dashboard")).context["overdue_tasks"]
    battle_map = client.get(reverse("tasks:battle_map")).context["map"].total.overdue
    rows = compute_figures(campaign=lights["saturday"].campaign, start=D(2026, 2, 9), end=SUNDAY)
    bulletin = headline(rows)["tasks_overdue"]
    assert (on_list, filtered.paginator.count, dashboard, battle_map, bulletin) == (3, 3, 3, 3, 3)


def test_the_task_page_marks_an_overdue_task_before_any_job_ran(lights, personas, client_for):
    client = client_for(personas.street_liaison)
    page = client.get(reverse("tasks:task_detail", args=[lights["saturday"].pk]))
    assert page.context["task"].light == "red"
    assert "text-danger" in page.content.decode()


def test_my_tasks_puts_overdue_work_first_and_counts_it(lights, personas, client_for):
    page = client_for(personas.street_liaison).get(reverse("tasks:task_mine"))
    assert page.context["counts"]["overdue"] == 2
    assert page.context["counts"]["warning"] == 1
    first = page.context["page"].object_list[0]
    assert first["light"] == "red"


def test_a_shared_task_with_two_late_streets_is_one_row_and_two_overdue_parts_everywhere(
    city, fixed_today, personas, client_for
):
    make_task(
        city,
        lead_unit=city.chengguan,
        responsible=[city.donghua, city.xinshi],
        deadline=D(2026, 2, 14),
        title="两个街道都逾期",
    )
    client = client_for(personas.office_admin)
    filtered = client.get(reverse("tasks:task_list"), {"overdue": "on"})
    dashboard = client.get(reverse("reports:dashboard")).context["overdue_tasks"]
    battle_map = client.get(reverse("tasks:battle_map")).context["map"].total.overdue
    assert filtered.context["page"].paginator.count == 1
    assert filtered.context["overdue_parts"] == dashboard == battle_map
    assert dashboard >= 2  # every late unit's part counts, not the task once
    assert f"逾期的单位分工 {dashboard} 个" in filtered.content.decode()


def test_a_street_counts_its_own_late_part_and_the_lead_unit_counts_every_part(
    city, fixed_today, personas, client_for
):
    """A street liaison answers for their street's part of a shared task, not for the other
    streets'; the department leading the task oversees every part of it."""
    make_task(
        city,
        lead_unit=city.chengguan,
        responsible=[city.donghua, city.xinshi],
        deadline=D(2026, 2, 14),
        title="两个街道都逾期",
    )
    counts = {}
    for name in ("street_liaison", "department_leader"):
        client = client_for(getattr(personas, name))
        listed = client.get(reverse("tasks:task_list"), {"overdue": "on"})
        dashboard = client.get(reverse("reports:dashboard")).context["overdue_tasks"]
        assert listed.context["overdue_parts"] == dashboard
        counts[name] = dashboard
    assert counts == {"street_liaison": 1, "department_leader": 3}


def test_work_handed_in_after_a_day_was_still_owed_on_that_day(city):
    """Looking back at a day (rankings, bulletins): a part handed in just after midnight, local
    time, was still overdue on the day before; one handed in before midnight was not."""
    day = D(2026, 2, 13)
    after = timezone.make_aware(datetime.datetime.combine(day, datetime.time(0, 30)))
    before = timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 30)))
    handed_in = {
        "after_midnight": make_task(
            city,
            deadline=day - datetime.timedelta(days=1),
            status=Task.Status.SUBMITTED,
            submitted_at=after + datetime.timedelta(days=1),
        ),
        "before_midnight": make_task(
            city,
            deadline=day - datetime.timedelta(days=1),
            status=Task.Status.SUBMITTED,
            submitted_at=before,
        ),
    }
    by_pk = {t.pk: t.light for t in Task.objects.with_light(on=day)}
    assert {name: by_pk[task.pk] for name, task in handed_in.items()} == {
        "after_midnight": "red",
        "before_midnight": "",
    }
    overdue = Task.objects.overdue(on=day)
    assert set(overdue.filter(pk__in=[t.pk for t in handed_in.values()])) == {
        handed_in["after_midnight"]
    }
