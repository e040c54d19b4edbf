"""Sending notifications: in-app always, e-mail when the person has an address.

`notify()` is the one entry point for every app. Delivery channels are backends
listed in `settings.NOTIFICATION_BACKENDS`; an SMS gateway plugs in as one more
class with a `send(notification)` method, without touching the callers.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .models import Notification

logger = logging.getLogger(__name__)


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


def _backends():
    return [import_string(path)() for path in settings.NOTIFICATION_BACKENDS]


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
    """Create one in-app notification per recipient and send it through every backend.

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
        for backend in _backends():
            try:
                backend.send(notification)
            except Exception:  # a mail outage must not undo the in-app message
                logger.exception("Notification backend %s failed", type(backend).__name__)
    return created
