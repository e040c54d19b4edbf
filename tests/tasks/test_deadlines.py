"""The daily job: overdue (red) and near-deadline (yellow) flags, missed milestones, reminders."""

import datetime
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker

from campaign.models import Notification
from campaign.outbox import relay
from config.celery import app
from tasks.jobs import check_task_deadlines
from tasks.models import Milestone, Task, TaskEvent
from tasks.services import check_deadlines as check_deadlines_only
from tests.conftest import wait_until

from .conftest import TODAY, make_task


def check_deadlines(**kwargs):
    """The daily check, then the outbox relay that delivers its notices."""
    counts = check_deadlines_only(**kwargs)
    relay()
    return counts


D = datetime.date
pytestmark = pytest.mark.usefixtures("calendar_seeded")


def test_an_overdue_task_turns_red_and_its_units_leader_and_liaison_are_notified(city, personas):
    task = make_task(city, deadline=TODAY - datetime.timedelta(days=1))
    counts = check_deadlines(today=TODAY)
    task.refresh_from_db()
    assert counts["overdue"] == 1
    assert (task.flag, task.overdue_since) == (Task.Flag.RED, TODAY)
    recipients = set(
        Notification.objects.filter(level="overdue").values_list("recipient__username", flat=True)
    )
    assert recipients == {"donghua", "donghua_ll"}
    assert task.events.filter(kind=TaskEvent.Kind.OVERDUE).count() == 1


def test_running_the_job_twice_changes_and_sends_nothing_new(city, personas):
    make_task(city, deadline=TODAY - datetime.timedelta(days=3))
    make_task(city, deadline=TODAY + datetime.timedelta(days=1), title="临期任务")
    check_deadlines(today=TODAY)
    before = (Notification.objects.count(), TaskEvent.objects.count())
    assert check_deadlines(today=TODAY) == {"overdue": 0, "warning": 0, "milestones": 0}
    assert check_deadlines(today=TODAY + datetime.timedelta(days=2))["overdue"] == 1
    # The near task became overdue later: one more red, nothing repeated.
    assert Notification.objects.count() == before[0] + 2
    assert TaskEvent.objects.count() == before[1] + 1


def test_a_deadline_within_the_warning_working_days_turns_yellow_counting_holidays(
    city, personas, settings
):
    settings.TASK_WARNING_WORKING_DAYS = 3
    # On Thu 12 Feb 2026, 3 working days ahead is Tue 24 Feb (13, 14 调休, then the festival).
    near = make_task(city, deadline=D(2026, 2, 24), title="节后到期")
    far = make_task(city, deadline=D(2026, 2, 25), title="稍远")
    check_deadlines(today=D(2026, 2, 12))
    near.refresh_from_db()
    far.refresh_from_db()
    assert near.flag == Task.Flag.YELLOW
    assert far.flag == Task.Flag.NONE
    assert Notification.objects.filter(level="warning").count() == 2


def test_submitted_and_accepted_tasks_are_never_flagged_overdue(city, personas):
    task = make_task(city, deadline=TODAY - datetime.timedelta(days=2))
    task.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    check_deadlines(today=TODAY)
    task.refresh_from_db()
    assert task.flag == Task.Flag.NONE
    assert not Notification.objects.filter(level="overdue").exists()


def test_a_missed_milestone_is_marked_once_and_a_reached_one_is_not(city, personas):
    task = make_task(city)
    missed = Milestone.objects.create(
        task=task, date=TODAY - datetime.timedelta(days=1), expected_progress=80
    )
    reached = Milestone.objects.create(
        task=task, date=TODAY - datetime.timedelta(days=1), expected_progress=10
    )
    task.report_progress(actor=personas.street_liaison, text="开始", progress=20)
    assert check_deadlines(today=TODAY)["milestones"] == 1
    assert check_deadlines(today=TODAY)["milestones"] == 0
    missed.refresh_from_db()
    reached.refresh_from_db()
    assert missed.overdue_since == TODAY and reached.overdue_since is None


def test_moving_the_deadline_later_clears_the_red_flag_at_once(city, personas):
    task = make_task(city, deadline=TODAY - datetime.timedelta(days=1))
    check_deadlines(today=TODAY)
    task.refresh_from_db()
    task.change_deadline(
        actor=personas.office_admin, deadline=datetime.date.today() + datetime.timedelta(days=60)
    )
    task.refresh_from_db()
    assert task.flag == Task.Flag.NONE and task.overdue_since is None
    assert task.events.filter(kind="deadline").exists()


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
@pytest.mark.django_db(transaction=True)
def test_the_daily_job_runs_through_a_real_worker_and_notifies(city, personas):
    from campaign.workdays import seed_from_package

    seed_from_package()
    task = make_task(city, deadline=datetime.date.today() - datetime.timedelta(days=2))
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            assert app.conf.broker_url.startswith("redis://")
            check_task_deadlines.delay()
            assert wait_until(lambda: Notification.objects.filter(level="overdue").count() == 2)
            check_task_deadlines.delay()  # a second beat: nothing new
            time.sleep(2)
    finally:
        app.conf.task_always_eager = True
    task.refresh_from_db()
    assert task.flag == Task.Flag.RED
    assert Notification.objects.filter(level="overdue").count() == 2
