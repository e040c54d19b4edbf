"""A task's life: progress, submission, acceptance or return, each leaving history."""

import pytest
from django.urls import reverse

from campaign.transitions import DomainError
from tasks.models import Milestone, ProgressUpdate, Task, TaskEvent

from .conftest import TODAY


def kinds(task):
    return list(task.events.values_list("kind", flat=True))


def test_unit_reports_progress_then_submits_and_the_command_office_accepts(
    task, personas, client_for
):
    liaison = client_for(personas.street_liaison)
    response = liaison.post(
        reverse("tasks:task_progress", args=[task.pk]),
        {"text": "已完成排查摸底", "progress": 40, "version": task.version},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.progress) == (Task.Status.IN_PROGRESS, 40)

    liaison.post(
        reverse("tasks:task_progress", args=[task.pk]),
        {"text": "全部整改到位", "progress": 100, "submit": "on", "version": task.version},
    )
    task.refresh_from_db()
    assert task.status == Task.Status.SUBMITTED

    staff = client_for(personas.command_staff)
    staff.post(
        reverse("tasks:task_accept", args=[task.pk]), {"note": "同意", "version": task.version}
    )
    task.refresh_from_db()
    assert task.status == Task.Status.ACCEPTED
    assert kinds(task) == ["created", "progress", "submitted", "accepted"]
    accepted = task.events.get(kind="accepted")
    assert (accepted.actor, accepted.from_status, accepted.to_status) == (
        personas.command_staff,
        "submitted",
        "accepted",
    )
    page = staff.get(task.get_absolute_url()).content.decode()
    assert "全部整改到位" in page and "已完成排查摸底" in page


def test_returning_needs_a_reason_and_sends_the_task_back_to_the_unit(task, personas, client_for):
    task.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    staff = client_for(personas.command_staff)
    staff.post(reverse("tasks:task_return", args=[task.pk]), {"note": "", "version": task.version})
    task.refresh_from_db()
    assert task.status == Task.Status.SUBMITTED  # no reason, no return

    staff.post(
        reverse("tasks:task_return", args=[task.pk]),
        {"note": "照片不清晰，缺少台账资料", "version": task.version},
    )
    task.refresh_from_db()
    assert task.status == Task.Status.RETURNED
    returned = task.events.get(kind=TaskEvent.Kind.RETURNED)
    assert returned.note == "照片不清晰，缺少台账资料"
    # The unit works on it again and resubmits.
    task.report_progress(actor=personas.street_liaison, text="补充资料", progress=100, submit=True)
    assert task.status == Task.Status.SUBMITTED
    assert kinds(task)[-3:] == ["submitted", "returned", "submitted"]


def test_submitting_below_100_percent_is_refused(task, personas):
    with pytest.raises(DomainError):
        task.report_progress(actor=personas.street_liaison, text="x", progress=60, submit=True)
    assert ProgressUpdate.objects.count() == 0


def test_accepting_a_task_that_was_not_submitted_is_refused(task, personas):
    with pytest.raises(DomainError):
        task.accept(actor=personas.command_staff)
    task.refresh_from_db()
    assert task.status == Task.Status.NOT_STARTED


def test_progress_cannot_be_reported_on_an_accepted_task(task, personas):
    task.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    task.accept(actor=personas.command_staff)
    with pytest.raises(DomainError):
        task.report_progress(actor=personas.street_liaison, text="再报", progress=100)


def test_two_people_saving_at_once_one_wins_and_the_other_is_told(task, personas, client_for):
    stale_version = task.version
    task.report_progress(
        actor=personas.street_leader, text="张秀英报送", progress=30, expected_version=stale_version
    )
    response = client_for(personas.street_liaison).post(
        reverse("tasks:task_progress", args=[task.pk]),
        {"text": "朱涛同时报送", "progress": 50, "version": stale_version},
        follow=True,
    )
    task.refresh_from_db()
    assert task.progress == 30
    assert ProgressUpdate.objects.filter(task=task).count() == 1
    assert "其他人" in response.content.decode() or "someone else" in response.content.decode()


def test_editing_with_a_stale_version_saves_nothing(task, personas, client_for):
    staff = client_for(personas.command_staff)
    stale = task.version
    task.change_deadline(actor=personas.office_admin, deadline=TODAY)
    response = staff.post(
        reverse("tasks:task_edit", args=[task.pk]),
        {
            "title": "改了标题",
            "priority": "normal",
            "command_office": task.command_office_id,
            "version": stale,
            "milestones-TOTAL_FORMS": 0,
            "milestones-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 409
    assert "改了标题" in response.content.decode()  # what was typed is still there
    task.refresh_from_db()
    assert task.title != "改了标题"


def test_history_and_progress_rows_cannot_be_changed_or_deleted(task, personas):
    update = task.report_progress(actor=personas.street_liaison, text="a", progress=10)
    event = task.events.last()
    for row in (update, event):
        with pytest.raises(TypeError):
            row.save()
        with pytest.raises(TypeError):
            row.delete()


def test_progress_reaching_a_milestone_marks_it_reached(task, personas):
    milestone = Milestone.objects.create(task=task, date=TODAY, expected_progress=50)
    task.report_progress(actor=personas.street_liaison, text="过半", progress=60)
    milestone.refresh_from_db()
    assert milestone.reached_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_reports_on_the_same_version_only_one_is_saved(city, personas):
    """Real concurrency on PostgreSQL: the row lock serialises, the version check refuses the second."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from .conftest import make_task

    task = make_task(city)
    version = task.version
    barrier = threading.Barrier(2)
    outcomes = []

    def report(person, text):
        try:
            barrier.wait()
            Task.objects.get(pk=task.pk).report_progress(
                actor=person, text=text, progress=50, expected_version=version
            )
            outcomes.append("saved")
        except DomainError:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=report, args=(personas.street_leader, "甲")),
        threading.Thread(target=report, args=(personas.street_liaison, "乙")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert ProgressUpdate.objects.filter(task=task).count() == 1
    assert Task.objects.get(pk=task.pk).version == version + 1


def test_the_unit_ticks_off_a_deliverable_milestone_with_its_report(task, personas, client_for):
    plan = Milestone.objects.create(task=task, date=TODAY, deliverable="印发工作方案")
    later = Milestone.objects.create(task=task, date=TODAY, deliverable="完成验收资料")
    client_for(personas.street_liaison).post(
        reverse("tasks:task_progress", args=[task.pk]),
        {"text": "方案已印发", "progress": 20, "milestones": [plan.pk], "version": task.version},
    )
    plan.refresh_from_db()
    later.refresh_from_db()
    assert plan.reached_at is not None and later.reached_at is None


def test_submission_tells_the_command_office_and_a_return_tells_the_unit(
    task, personas, django_capture_on_commit_callbacks
):
    from campaign.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        task.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    assert Notification.objects.filter(recipient=personas.command_staff).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        task.return_to_unit(actor=personas.command_staff, reason="缺少台账")
    for person in (personas.street_leader, personas.street_liaison):
        note = Notification.objects.get(recipient=person)
        assert "缺少台账" in note.body


def test_a_task_post_without_the_version_is_refused_and_saves_nothing(task, personas, client_for):
    liaison = client_for(personas.street_liaison)
    url = reverse("tasks:task_progress", args=[task.pk])
    response = liaison.post(url, {"text": "没有版本号的报送", "progress": 40})
    assert response.status_code == 400
    assert "请刷新后重试" in response.content.decode()
    assert not ProgressUpdate.objects.filter(task=task).exists()
    task.report_progress(actor=personas.street_liaison, text="完成", progress=100, submit=True)
    response = client_for(personas.command_staff).post(
        reverse("tasks:task_accept", args=[task.pk]), {"note": "同意"}
    )
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == Task.Status.SUBMITTED


def test_an_edit_with_the_current_version_is_saved_and_recorded(task, personas, client_for):
    response = client_for(personas.command_staff).post(
        reverse("tasks:task_edit", args=[task.pk]),
        {
            "title": "改了标题",
            "priority": "high",
            "command_office": task.command_office_id,
            "version": task.version,
            "milestones-TOTAL_FORMS": 0,
            "milestones-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.priority) == ("改了标题", "high")
    assert task.events.filter(kind="edited").count() == 1
