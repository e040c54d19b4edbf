"""My tasks: each tab's count is the number of cards it lists, red first, then yellow."""

import datetime

from django.urls import reverse

from tasks.models import Task

from .conftest import make_task


def test_each_tab_lists_as_many_tasks_as_its_count_most_urgent_first(city, personas, client_for):
    today = datetime.date.today()
    day = datetime.timedelta(days=1)
    make_task(city, title="下月到期", deadline=today + 40 * day)
    make_task(city, title="明天到期", deadline=today + day)
    make_task(city, title="已逾期", deadline=today - 2 * day, status=Task.Status.IN_PROGRESS)
    make_task(city, title="已提交", deadline=today - 3 * day, status=Task.Status.SUBMITTED)
    make_task(city, title="已验收", deadline=today - 9 * day, status=Task.Status.ACCEPTED)
    make_task(city, title="西关的任务", lead_unit=city.xiguan, deadline=today - day)
    client = client_for(personas.street_leader)

    listed = {}
    for show in ("open", "submitted", "accepted", "all"):
        page = client.get(reverse("tasks:task_mine"), {"show": show}).context["page"]
        listed[show] = [task["title"] for task in page.object_list]
        assert page.paginator.count == len(listed[show])
    counts = client.get(reverse("tasks:task_mine")).context["counts"]

    assert listed["open"] == ["已逾期", "明天到期", "下月到期"]
    assert listed["submitted"] == ["已提交"]
    assert listed["accepted"] == ["已验收"]
    assert listed["all"] == ["已逾期", "明天到期", "已验收", "已提交", "下月到期"]
    assert counts == {
        "all": 5,
        "open": 3,
        "overdue": 1,
        "warning": 1,
        "submitted": 1,
        "accepted": 1,
    }
