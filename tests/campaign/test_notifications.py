"""notify(): in-app for everyone, e-mail where there is an address, never twice for one key."""

from django.core import mail

from campaign.models import Notification
from campaign.notifications import notify


def test_notify_creates_in_app_messages_and_emails(personas, django_capture_on_commit_callbacks):
    personas.street_leader.email = "donghua@example.gov.cn"
    personas.street_leader.save()
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=[personas.street_leader, personas.street_liaison],
            subject="任务即将到期",
            body="请尽快提交进展。",
            url="/tasks/1/",
        )
    assert len(created) == 2
    assert [m.to for m in mail.outbox] == [["donghua@example.gov.cn"]]
    assert "/tasks/1/" in mail.outbox[0].body


def test_the_same_dedupe_key_never_notifies_twice(personas):
    for _ in range(3):
        notify(recipients=[personas.street_leader], subject="逾期", dedupe_key="task-1-overdue")
    assert Notification.objects.filter(recipient=personas.street_leader).count() == 1


def test_a_person_reads_only_their_own_notifications(personas, client_for):
    notify(recipients=[personas.street_leader], subject="给东华街道的通知")
    notify(recipients=[personas.other_district_leader], subject="给西城区的通知")
    html = client_for(personas.street_leader).get("/org/notifications/").content.decode()
    assert "给东华街道的通知" in html
    assert "给西城区的通知" not in html
    assert not Notification.objects.filter(recipient=personas.street_leader).unread().exists()
