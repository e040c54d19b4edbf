"""Sending notifications: in-app always, and through the channels each person chose.

`notify()` is the one entry point for every app. Each notice has an event
(`Notification.Event`); `campaign.channels.route` queues its e-mail, SMS and group-robot
messages as outbox rows of the same transaction, sent after commit by the relay.
"""

from django.db import IntegrityError, transaction

from .channels import route
from .models import Notification, change_unread_counts
from .outbox import enqueue, handler


def notify(
    *,
    recipients,
    subject,
    body="",
    url="",
    level=Notification.Level.INFO,
    event=Notification.Event.OTHER,
    campaign=None,
    dedupe_key="",
):
    """Create one in-app notification per recipient; its messages through the channels the
    recipients chose for `event` are outbox rows of the same transaction, sent after commit.

    With `dedupe_key`, a recipient who already has a notification with that key gets
    nothing new, so daily jobs can run again safely. Returns the notifications created.
    """
    created = []
    people = {p.pk: p for p in recipients if p is not None and p.is_active}
    # In id order: each notice locks its recipient's row (the unread count) until commit.
    for _pk, person in sorted(people.items()):
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=person,
                    campaign=campaign,
                    level=level,
                    event=event,
                    subject=str(subject)[:200],
                    body=str(body),
                    url=url,
                    dedupe_key=dedupe_key,
                )
                change_unread_counts({person.pk: 1})
        except IntegrityError:
            continue  # already notified about this
        created.append(notification)
    route(created)
    return created


def queue_notice(
    *, recipients, subject, body="", url="", level="info", event="other", campaign=None, dedupe_key
):
    """Write a notice as an outbox row of the current transaction; the relay notifies after
    commit (exactly once: the row's key is the dedupe key). Returns the outbox row, or None
    when this notice was already queued."""
    return enqueue(
        "campaign.notifications.deliver_notice",
        key=f"notice:{dedupe_key}",
        recipient_ids=sorted({p.pk for p in recipients if p is not None}),
        subject=str(subject),
        body=str(body),
        url=url,
        level=level,
        event=event,
        campaign_id=campaign.pk if campaign else None,
        dedupe_key=dedupe_key,
    )


@handler
def deliver_notice(
    *, recipient_ids, subject, body, url, level, campaign_id, dedupe_key, event="other"
):
    """Deliver a queued notice: in-app messages now, channel messages as rows of their own
    (rows queued before events existed have none: "other")."""
    from .models import Campaign, Person

    notify(
        recipients=Person.objects.filter(pk__in=recipient_ids),
        subject=subject,
        body=body,
        url=url,
        level=level,
        event=event,
        campaign=Campaign.objects.filter(pk=campaign_id).first(),
        dedupe_key=dedupe_key,
    )
