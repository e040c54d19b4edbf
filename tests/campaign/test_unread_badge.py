"""The bell's count of unread notices is kept on the person's row (issue 13, scale) and is
exact on the next page after every way a notice is made, read, handed over or deleted."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from campaign import outbox
from campaign.models import Campaign, Notification, Role
from campaign.notifications import notify, queue_notice
from campaign.services import replace_holders
from tests.conftest import make_person

BADGE = re.compile(r'<span class="badge rounded-pill text-bg-warning">(\d+)</span>')


def badge(client):
    """The number on the bell, 0 when it shows none."""
    found = BADGE.search(client.get("/").content.decode())
    return int(found.group(1)) if found else 0


def unread(person):
    return Notification.objects.filter(recipient=person).unread().count()


def test_a_new_notice_shows_on_the_next_page(personas, client_for):
    client = client_for(personas.street_leader)
    assert badge(client) == 0
    notify(recipients=[personas.street_leader], subject="一")
    assert badge(client) == 1
    notify(recipients=[personas.street_leader, personas.street_liaison], subject="二")
    assert badge(client) == 2
    assert badge(client_for(personas.street_liaison)) == 1


def test_a_notice_already_sent_does_not_count_twice(personas, client_for):
    for _ in range(3):
        notify(recipients=[personas.street_leader], subject="逾期", dedupe_key="task-1-overdue")
    assert badge(client_for(personas.street_leader)) == 1


def test_a_notice_delivered_from_the_outbox_counts(personas, client_for):
    with transaction.atomic():
        queue_notice(recipients=[personas.street_leader], subject="排队的通知", dedupe_key="q-1")
    outbox.relay()
    assert badge(client_for(personas.street_leader)) == 1 == unread(personas.street_leader)


def test_a_notice_rolled_back_with_its_transaction_does_not_count(personas, client_for):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[personas.street_leader], subject="回滚")
        raise RuntimeError
    assert badge(client_for(personas.street_leader)) == 0


def test_opening_the_list_reads_the_shown_notices_only(personas, client_for):
    for n in range(33):
        notify(recipients=[personas.street_leader], subject=f"通知{n}")
    client = client_for(personas.street_leader)
    assert badge(client) == 33
    client.get("/org/notifications/")  # shows 30, newest first
    assert badge(client) == 3 == unread(personas.street_leader)
    client.get("/org/notifications/")
    assert badge(client) == 3
    client.get("/org/notifications/?page=2")
    assert badge(client) == 0


def test_handed_over_notices_move_to_the_successor(city, personas, client_for):
    notify(recipients=[personas.street_liaison], subject="逾期任务", campaign=city.campaign)
    notify(recipients=[personas.street_liaison], subject="别的", campaign=city.campaign)
    successor = make_person(city.campaign, "qianxin", Role.INSPECTOR)
    replace_holders(
        person=successor,
        unit=city.donghua,
        role=Role.UNIT_LIAISON,
        by=personas.office_admin,
        reason="调动",
    )
    assert badge(client_for(personas.street_liaison)) == 0 == unread(personas.street_liaison)
    assert badge(client_for(successor)) == 2 == unread(successor)


def test_handed_over_notices_are_copied_when_the_holder_keeps_a_role(city, personas, client_for):
    notify(recipients=[personas.street_liaison], subject="逾期任务", campaign=city.campaign)
    personas.street_liaison.memberships.create(campaign=city.campaign, role=Role.INSPECTOR)
    successor = make_person(city.campaign, "qianxin", Role.INSPECTOR)
    notify(recipients=[successor], subject="已有的", campaign=city.campaign)
    replace_holders(
        person=successor,
        unit=city.donghua,
        role=Role.UNIT_LIAISON,
        by=personas.office_admin,
        reason="调动",
    )
    assert badge(client_for(personas.street_liaison)) == 1 == unread(personas.street_liaison)
    assert badge(client_for(successor)) == 2 == unread(successor)


def test_a_duplicate_left_behind_by_a_hand_over_is_read(city, personas, client_for):
    for person in (personas.street_liaison, personas.street_leader):
        notify(recipients=[person], subject="同一件事", campaign=city.campaign, dedupe_key="k")
    replace_holders(
        person=personas.street_leader,
        unit=city.donghua,
        role=Role.UNIT_LIAISON,
        by=personas.office_admin,
        reason="合并",
    )
    assert badge(client_for(personas.street_liaison)) == 0 == unread(personas.street_liaison)
    assert badge(client_for(personas.street_leader)) == 1 == unread(personas.street_leader)


def test_deleting_a_campaign_takes_its_notices_off_the_count(city, personas, client_for):
    other = Campaign.objects.create(
        name="另一个周期",
        level="county",
        city="某市",
        start_date="2024-01-01",
        end_date="2024-12-31",
    )
    notify(recipients=[personas.street_leader], subject="这个周期", campaign=city.campaign)
    notify(recipients=[personas.street_leader], subject="另一个周期", campaign=other)
    notify(recipients=[personas.street_leader], subject="读过的", campaign=other)
    Notification.objects.filter(subject="读过的").mark_read()
    other.delete()
    assert badge(client_for(personas.street_leader)) == 1 == unread(personas.street_leader)


def test_the_count_is_never_read_from_the_notices_on_a_page(personas, client_for):
    notify(recipients=[personas.street_leader], subject="一")
    client = client_for(personas.street_leader)
    badge(client)
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries if "campaign_notification" in q["sql"]]
