"""Notification channels: e-mail, SMS through the campaign's HTTP gateway, and the group
robots of 企业微信 (WeCom) and 钉钉 (DingTalk).

`route()` turns the notices `notify()` just created into outbox rows, one per message:
e-mail and SMS per person, one post per group robot (mentioning the people who chose it).
`send_message` (a remote outbox handler) sends one message and logs the attempt as a
`Delivery` row; a failure raises, so the outbox retries it with its back-off. Sending only
happens in the relay or a worker, with a short HTTP timeout, never inside a request.

The SMS gateway contract (each province's gateway differs; put an adapter in front of it if
it does not speak this): POST to the configured URL, `Content-Type: application/json`, body
`{"mobile": "13800001111", "content": "…", "event": "progress_reminder", "id": "<key>"}`
with the headers `X-CC-Timestamp` (Unix seconds), `X-CC-Signature` (lower-case hex
HMAC-SHA256 of `timestamp + "\\n" + body` with the signing secret) and `X-CC-Idempotency-Key`
(the same on every retry of one message, so the gateway can drop repeats). A 2xx answer whose
JSON has no `code`/`errcode` or has it 0 is success; anything else is a failure, retried.
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    Channel,
    ChannelEndpoint,
    Delivery,
    Membership,
    NoticePreference,
    Notification,
    Person,
)
from .outbox import enqueue, handler

ROBOTS = (Channel.WECOM, Channel.DINGTALK)
# Without a preference a person gets e-mail, as before channels existed.
DEFAULT_CHANNELS = [Channel.EMAIL]
# 企业微信 refuses text longer than 2048 bytes; 钉钉 allows more, SMS far less.
MAX_TEXT_BYTES = 2000
RESPONSE_EXCERPT = 300
# A mainland mobile number inside a longer text (a gateway echoing what it was sent).
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class ChannelError(Exception):
    """A channel refused or did not answer; the outbox retries the message."""


# --- masking personal data ------------------------------------------------------------------


def mask_phone(phone):
    """138****5678: enough to tell numbers apart in the log, not enough to call."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def excerpt(text):
    """The start of an answer for the log, with any mobile number a gateway echoed masked."""
    return MOBILE.sub(lambda m: mask_phone(m.group()), str(text))[:RESPONSE_EXCERPT]


def mask_email(address):
    name, _at, domain = (address or "").partition("@")
    return f"{name[:1]}***@{domain}"


def mask_secret(value):
    """Show the first four characters of a secret (or of a URL's query values) only."""
    if not value:
        return ""
    if "://" in value:
        parts = urllib.parse.urlsplit(value)
        query = "&".join(
            f"{name}={mask_secret(v)}" for name, v in urllib.parse.parse_qsl(parts.query)
        )
        return urllib.parse.urlunsplit(parts._replace(query=query))
    return f"{value[:4]}…" if len(value) > 8 else "…"


# --- routing ---------------------------------------------------------------------------------


def preferences(person_ids, event):
    """Person id → (channels, digest) for one event; defaults where there is no row."""
    rows = NoticePreference.objects.filter(person_id__in=person_ids, event=event)
    chosen = {row.person_id: (row.channels, row.digest) for row in rows}
    return {pk: chosen.get(pk, (DEFAULT_CHANNELS, False)) for pk in person_ids}


def _units_of(campaign, person_ids):
    units = defaultdict(list)
    for person_id, unit_id in Membership.objects.filter(
        campaign=campaign, person_id__in=person_ids, unit__isnull=False
    ).values_list("person_id", "unit_id"):
        units[person_id].append(unit_id)
    return units


def robot_for(endpoints, channel, unit_ids):
    """The robot of the person's unit for this channel, else the campaign's own."""
    for unit_id in unit_ids:
        if (channel, unit_id) in endpoints:
            return endpoints[channel, unit_id]
    return endpoints.get((channel, None))


def _endpoints(campaign):
    if campaign is None:
        return {}
    return {
        (e.channel, e.unit_id): e
        for e in ChannelEndpoint.objects.filter(campaign=campaign, enabled=True)
    }


def _queue(channel, key, *, notifications, people=(), endpoint=None):
    return enqueue(
        "campaign.channels.send_message",
        key=key,
        channel=channel,
        notification_ids=[n.pk for n in notifications],
        person_ids=sorted({p.pk for p in people}),
        endpoint_id=endpoint.pk if endpoint else None,
        delivery_key=key,
    )


def route(notifications):
    """Queue the messages for notices just created by one `notify()` call (same event,
    campaign and text): per person for e-mail and SMS, one post per group robot. Information
    notices of an event a person takes as a digest wait for `send_digests`."""
    if not notifications:
        return
    first = notifications[0]
    people = {n.recipient_id: n.recipient for n in notifications}
    chosen = preferences(list(people), first.event)
    endpoints = _endpoints(first.campaign)
    units = _units_of(first.campaign, list(people)) if endpoints else {}
    mentions = defaultdict(set)  # robot endpoint → people @mentioned in its post
    for notification in notifications:
        person = notification.recipient
        channels, digest = chosen[person.pk]
        if digest and notification.level == Notification.Level.INFO:
            continue
        for channel in channels:
            if channel in ROBOTS:
                robot = robot_for(endpoints, channel, units.get(person.pk, []))
                if robot is not None:
                    mentions[robot].add(person)
            elif (channel == Channel.EMAIL and person.email) or (
                channel == Channel.SMS and person.phone and (channel, None) in endpoints
            ):
                _queue(
                    channel,
                    f"send:{notification.pk}:{channel}",
                    notifications=[notification],
                    people=[person],
                    endpoint=endpoints.get((channel, None)),
                )
    recipient_units = {u for person_units in units.values() for u in person_units}
    for (channel, unit_id), robot in endpoints.items():
        subscribed = first.event in robot.events and (unit_id is None or unit_id in recipient_units)
        if channel in ROBOTS and subscribed:
            mentions.setdefault(robot, set())
    for robot, mentioned in mentions.items():
        _queue(
            robot.channel,
            f"send:{first.pk}:robot:{robot.pk}",
            notifications=[first],
            people=mentioned,
            endpoint=robot,
        )


def send_digests(*, now=None):
    """Queue one message per person and channel with the information notices of the last 24
    hours of the events they take as a digest (the daily job's runs meet end to end).
    Idempotent: the key names the person, channel and day."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    queued = 0
    by_person = defaultdict(list)
    for row in NoticePreference.objects.filter(digest=True).exclude(channels=[]):
        by_person[row.person_id].append(row)
    notices = (
        Notification.objects.filter(
            recipient_id__in=list(by_person),
            level=Notification.Level.INFO,
            created_at__gt=now - timezone.timedelta(days=1),
            created_at__lte=now,
        )
        .select_related("recipient", "campaign")
        .order_by("created_at", "pk")
    )
    held = defaultdict(list)
    for notice in notices:
        for row in by_person[notice.recipient_id]:
            if row.event == notice.event:
                for channel in row.channels:
                    held[notice.recipient, channel].append(notice)
    for (person, channel), items in held.items():
        campaign = items[-1].campaign
        endpoints = _endpoints(campaign)
        endpoint = None
        if channel in ROBOTS:
            endpoint = robot_for(endpoints, channel, _units_of(campaign, [person.pk])[person.pk])
        elif channel == Channel.SMS:
            endpoint = endpoints.get((channel, None))
        if channel != Channel.EMAIL and endpoint is None:
            continue
        queued += bool(
            _queue(
                channel,
                f"digest:{person.pk}:{channel}:{day.isoformat()}",
                notifications=items,
                people=[person],
                endpoint=endpoint,
            )
        )
    return queued


# --- composing and sending ----------------------------------------------------------------------


def compose(notifications):
    """The text of one message: a notice with its link, or a digest listing several."""
    site = settings.SITE_URL.rstrip("/")
    if len(notifications) == 1:
        notice = notifications[0]
        lines = [notice.subject, notice.body]
        if notice.url:
            lines.append(f"{site}{notice.url}")
        text = "\n".join(line for line in lines if line)
    else:
        lines = [_("Today's notices (%(n)s)") % {"n": len(notifications)}]
        lines += [f"{i}. {n.subject}" for i, n in enumerate(notifications, 1)]
        lines.append(f"{site}/org/notifications/")
        text = "\n".join(lines)
    return text.encode()[:MAX_TEXT_BYTES].decode(errors="ignore")


def post_json(url, payload, headers=None):
    """POST a JSON body; returns (status code, response text). Raises ChannelError with the
    code when the server fails or does not answer within CHANNEL_TIMEOUT_SECONDS."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.CHANNEL_TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read(4096).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        raise ChannelError(exc.code, exc.read(4096).decode(errors="replace")) from None
    except (OSError, ValueError) as exc:  # refused, timed out, bad address
        raise ChannelError(None, repr(exc)) from None


def check_errcode(status, text, *names):
    """A robot or gateway answers 200 with its own error code: anything but 0 is a failure."""
    try:
        answer = json.loads(text)
    except ValueError:
        return
    if not isinstance(answer, dict):
        return
    for name in names:
        if name in answer and str(answer[name]) != "0":
            raise ChannelError(status, text)


def sms_signature(secret, timestamp, body):
    return hmac.new(secret.encode(), f"{timestamp}\n".encode() + body, hashlib.sha256).hexdigest()


def dingtalk_sign(secret, timestamp):
    """钉钉's 加签: HMAC-SHA256 of `timestamp + "\\n" + secret` keyed by the secret, base64."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def send_sms(endpoint, phone, text, *, event, key):
    body = json.dumps(
        {"mobile": phone, "content": text, "event": event, "id": key}, ensure_ascii=False
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-CC-Timestamp": timestamp,
        "X-CC-Signature": sms_signature(endpoint.secret, timestamp, body),
        "X-CC-Idempotency-Key": key,
    }
    status, text = post_json(endpoint.url, body, headers)
    check_errcode(status, text, "code", "errcode")
    return status, text


def send_wecom(endpoint, mobiles, text):
    payload = {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
    status, answer = post_json(endpoint.url, payload)
    check_errcode(status, answer, "errcode")
    return status, answer


def send_dingtalk(endpoint, mobiles, text):
    url = endpoint.url
    if endpoint.secret:
        timestamp = str(int(time.time() * 1000))
        sign = urllib.parse.quote_plus(dingtalk_sign(endpoint.secret, timestamp))
        url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
    # 钉钉 highlights a mention only when the number also appears in the text.
    if mobiles:
        text = f"{text}\n{' '.join('@' + m for m in mobiles)}"
    payload = {
        "msgtype": "text",
        "text": {"content": text},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }
    status, answer = post_json(url, payload)
    check_errcode(status, answer, "errcode")
    return status, answer


@handler(remote=True)
def send_message(*, channel, notification_ids, person_ids, endpoint_id, delivery_key):
    """Send one message through one channel and log the attempt; a failure raises so the
    outbox retries it with back-off (the log gets one row per attempt)."""
    notifications = list(
        Notification.objects.filter(pk__in=notification_ids).order_by("created_at", "pk")
    )
    if not notifications:
        return
    first = notifications[0]
    people = list(Person.objects.filter(pk__in=person_ids, is_active=True))
    endpoint = ChannelEndpoint.objects.filter(pk=endpoint_id).first()
    with translation.override(settings.LANGUAGE_CODE):
        text = compose(notifications)
        subject = first.subject[:200] if len(notifications) == 1 else _("Daily digest")
    log = Delivery(
        campaign_id=first.campaign_id,
        key=delivery_key,
        channel=channel,
        event=first.event,
        endpoint=endpoint,
        subject=subject,
        attempt=Delivery.objects.filter(key=delivery_key).count() + 1,
    )
    if endpoint is not None and endpoint.template:
        text = endpoint.template.replace("{text}", text)  # e.g. "【市创建办】{text}"
    mobiles = [p.phone for p in people if p.phone]
    try:
        if channel == Channel.EMAIL:
            address = people[0].email if people else ""
            log.recipient = mask_email(address) if address else ""
            if not address:
                return _skipped(log, _("no e-mail address"))
            send_mail(subject, text, None, [address])
        elif endpoint is None or not endpoint.enabled:
            return _skipped(log, _("no endpoint configured"))
        elif channel == Channel.SMS:
            log.recipient = ", ".join(mask_phone(m) for m in mobiles)
            if not mobiles:
                return _skipped(log, _("no phone number"))
            log.response_code, answer = send_sms(
                endpoint, mobiles[0], text, event=first.event, key=delivery_key
            )
            log.response = excerpt(answer)
        else:
            log.recipient = " ".join([endpoint.name, *("@" + mask_phone(m) for m in mobiles)])[:300]
            send = send_wecom if channel == Channel.WECOM else send_dingtalk
            log.response_code, answer = send(endpoint, mobiles, text)
            log.response = excerpt(answer)
    except (ChannelError, OSError) as exc:
        code, detail = exc.args if isinstance(exc, ChannelError) else (None, repr(exc))
        log.status = Delivery.Status.FAILED
        log.response_code = code
        log.response = excerpt(detail)
        log.save()
        raise ChannelError(code, log.response) from None  # the outbox keeps it as last_error
    log.status = Delivery.Status.SENT
    log.save()


def _skipped(log, reason):
    log.status = Delivery.Status.SKIPPED
    log.response = reason
    log.save()
