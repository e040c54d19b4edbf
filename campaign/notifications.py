"""Sending notifications: in-app always, e-mail when the person has an address.

`notify()` is the one entry point for every app. Delivery channels are backends
listed in `settings.NOTIFICATION_BACKENDS`; an SMS gateway plugs in as one more
class with a `send(notification)` method, without touching the callers.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .models import Notification
from .outbox import enqueue, handler


class EmailBackend:
    """E-mails the notification to the recipient's address, if they have one."""

    def send(self, notification):
        address = notification.recipient.email
        if not address:
            return
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        send_mail(notification.subject, body, None, [address], fail_silently=False)


def notify(
    *,
    recipients,
    subject,
    body="",
    url="",
    level=Notification.Level.INFO,
    campaign=None,
    dedupe_key="",
):
    """Create one in-app notification per recipient; its sending through each backend is
    an outbox row of the same transaction, delivered after commit (once per backend).

    With `dedupe_key`, a recipient who already has a notification with that key gets
    nothing new, so daily jobs can run again safely. Returns the notifications created.
    """
    created = []
    for person in {p.pk: p for p in recipients if p is not None and p.is_active}.values():
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=person,
                    campaign=campaign,
                    level=level,
                    subject=str(subject)[:200],
                    body=str(body),
                    url=url,
                    dedupe_key=dedupe_key,
                )
        except IntegrityError:
            continue  # already notified about this
        created.append(notification)
    for notification in created:
        for path in settings.NOTIFICATION_BACKENDS:
            enqueue(
                "campaign.notifications.send_notification",
                key=f"send:{notification.pk}:{path}",
                notification_id=notification.pk,
                backend=path,
            )
    return created


@handler(atomic=False)
def send_notification(*, notification_id, backend):
    """Send one in-app notification through one backend (e-mail, later SMS); an error is
    retried by the outbox with back-off."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is not None:
        import_string(backend)().send(notification)


def queue_notice(*, recipients, subject, body="", url="", level="info", campaign=None, dedupe_key):
    """Write a notice as an outbox row of the current transaction; the relay notifies after
    commit (exactly once: the row's key is the dedupe key)."""
    enqueue(
        "campaign.notifications.deliver_notice",
        key=f"notice:{dedupe_key}",
        recipient_ids=sorted({p.pk for p in recipients if p is not None}),
        subject=str(subject),
        body=str(body),
        url=url,
        level=level,
        campaign_id=campaign.pk if campaign else None,
        dedupe_key=dedupe_key,
    )


@handler
def deliver_notice(*, recipient_ids, subject, body, url, level, campaign_id, dedupe_key):
    """Deliver a queued notice: in-app messages now, e-mails as rows of their own."""
    from .models import Campaign, Person

    notify(
        recipients=Person.objects.filter(pk__in=recipient_ids),
        subject=subject,
        body=body,
        url=url,
        level=level,
        campaign=Campaign.objects.filter(pk=campaign_id).first(),
        dedupe_key=dedupe_key,
    )
