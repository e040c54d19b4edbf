"""The daily overdue job: raises supervision levels step by step, numbers the orders,
notifies, and changes nothing when run again."""

import datetime
import os
import time

import pytest

from campaign.models import Notification
from inspections.jobs import escalate_overdue_findings
from inspections.models import Finding, LedgerSettings, Status, SupervisionLevel, SupervisionOrder

# A Monday; the deadline below is the Monday before, so 5 working days have passed.
TODAY = datetime.date(2026, 3, 16)


def late_finding(make_finding, deadline, state="rectifying", **extra):
    finding = make_finding(state, **extra)
    Finding.objects.filter(pk=finding.pk).update(deadline=deadline)
    finding.refresh_from_db()
    return finding


@pytest.mark.django_db
def test_overdue_findings_are_raised_by_lateness_once_and_only_once(
    make_finding, personas, campaign, django_capture_on_commit_callbacks
):
    LedgerSettings.objects.create(campaign=campaign, listed_after=3, key_after=10)
    one_day = late_finding(make_finding, datetime.date(2026, 3, 13), address="一号点")
    a_week = late_finding(make_finding, datetime.date(2026, 3, 9), address="二号点")
    weeks = late_finding(make_finding, datetime.date(2026, 2, 20), address="三号点")
    on_time = late_finding(make_finding, datetime.date(2026, 3, 20), address="四号点")
    submitted = late_finding(
        make_finding, datetime.date(2026, 3, 2), state="awaiting", address="五号点"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue_findings.delay(TODAY.isoformat()).get() == 3

    levels = {f.pk: f.supervision_level for f in Finding.objects.all()}
    assert levels[one_day.pk] == SupervisionLevel.NORMAL
    assert levels[a_week.pk] == SupervisionLevel.LISTED
    assert levels[weeks.pk] == SupervisionLevel.KEY
    assert levels[on_time.pk] == levels[submitted.pk] == SupervisionLevel.NONE
    numbers = sorted(SupervisionOrder.objects.values_list("sequence", flat=True))
    assert numbers == [1, 2, 3]
    # The unit's people and the office are told, in Chinese.
    notes = Notification.objects.filter(recipient=personas.street_liaison)
    assert notes.count() == 3 and all(n.level == Notification.Level.OVERDUE for n in notes)
    assert Notification.objects.filter(recipient=personas.office_admin).count() == 3
    sent = Notification.objects.count()

    # Run again the same day: nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue_findings.delay(TODAY.isoformat()).get() == 0
    assert SupervisionOrder.objects.count() == 3 and Notification.objects.count() == sent
    # A week later: one-day-late → listed, a-week-late → key, the on-time one now late.
    assert escalate_overdue_findings.delay("2026-03-23").get() == 3
    levels = {f.pk: f.supervision_level for f in Finding.objects.all()}
    assert levels[one_day.pk] == SupervisionLevel.LISTED
    assert levels[a_week.pk] == SupervisionLevel.KEY
    assert levels[on_time.pk] == SupervisionLevel.NORMAL
    assert one_day.events.filter(action="supervise", actor__isnull=True).count() == 2


@pytest.mark.django_db
def test_closed_and_voided_findings_are_never_escalated(make_finding):
    for state in ("closed", "voided"):
        late_finding(make_finding, datetime.date(2026, 1, 5), state=state, address=state)
    assert escalate_overdue_findings.delay(TODAY.isoformat()).get() == 0


@pytest.mark.django_db
def test_assignment_notifies_the_unit_people(
    make_finding, personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        finding = make_finding("assigned")
    subjects = Notification.objects.filter(recipient=personas.street_leader).values_list(
        "subject", flat=True
    )
    assert any(finding.code in s for s in subjects)
    assert not Notification.objects.filter(recipient=personas.other_district_leader).exists()


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
@pytest.mark.django_db(transaction=True)
def test_the_daily_job_runs_through_a_real_worker_over_redis(make_finding):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    finding = late_finding(make_finding, datetime.date(2026, 3, 9))
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            assert app.conf.broker_url.startswith("redis://")
            escalate_overdue_findings.delay(TODAY.isoformat())
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                finding.refresh_from_db()
                if finding.supervision_level:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert finding.supervision_level == SupervisionLevel.LISTED
    assert finding.status == Status.RECTIFYING
    assert SupervisionOrder.objects.filter(finding=finding).count() == 1
