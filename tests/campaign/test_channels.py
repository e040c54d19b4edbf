"""Notification channels: SMS gateway, 企业微信 and 钉钉 group robots, each attempt logged.

A small threaded HTTP server stands in for the gateway and the robots: it records every
request and answers as a test tells it (an error code, a 500, a long silence).
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaign import outbox
from campaign.channels import send_digests
from campaign.models import (
    AuditEntry,
    Campaign,
    Channel,
    ChannelEndpoint,
    Delivery,
    NoticePreference,
    Notification,
    OutboxMessage,
)
from campaign.notifications import notify
from tasks.services import check_deadlines
from tests.conftest import wait_until
from tests.tasks.conftest import TODAY, calendar_seeded, make_task  # noqa: F401 (fixture)
from tests.test_worker import real_worker as real_worker  # a fixture

PHONE = "13800001111"
SMS_SECRET = "gateway-signing-secret"
DING_SECRET = "SEC0123456789abcdef"
OK = (200, {"errcode": 0, "errmsg": "ok"}, 0)


class Endpoint:
    """A local HTTP server: `requests` holds what arrived, `replies` what to answer next
    (status, JSON body, seconds to wait first); after them it answers OK."""

    def __init__(self):
        self.requests = []
        self.replies = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                parts = urllib.parse.urlsplit(self.path)
                endpoint.requests.append(
                    {
                        "path": parts.path,
                        "query": dict(urllib.parse.parse_qsl(parts.query)),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "json": json.loads(body),
                    }
                )
                status, answer, delay = endpoint.replies.pop(0) if endpoint.replies else OK
                time.sleep(delay)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path):
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def channels(city, endpoint):
    """The campaign's SMS gateway and 企业微信 robot, and 东华街道's own 钉钉 robot."""
    c = city.campaign
    return {
        "sms": ChannelEndpoint.objects.create(
            campaign=c,
            channel=Channel.SMS,
            name="省短信平台",
            url=f"{endpoint.url}/sms/send",
            secret=SMS_SECRET,
            template="【市创建办】{text}",
        ),
        "wecom": ChannelEndpoint.objects.create(
            campaign=c,
            channel=Channel.WECOM,
            name="创建办工作群",
            url=f"{endpoint.url}/cgi-bin/webhook/send?key=wecom-key-123",
        ),
        "dingtalk": ChannelEndpoint.objects.create(
            campaign=c,
            unit=city.donghua,
            channel=Channel.DINGTALK,
            name="东华街道创城群",
            url=f"{endpoint.url}/robot/send?access_token=ding-token-456",
            secret=DING_SECRET,
        ),
    }


def choose(person, event, channels, digest=False):
    NoticePreference.objects.update_or_create(
        person=person, event=event, defaults={"channels": channels, "digest": digest}
    )


def relay_all():
    """Deliver the notice, then the messages it queued (rows of the first pass)."""
    outbox.relay()
    outbox.relay()


def expected_text(notice):
    return f"{notice.subject}\n{notice.body}\n{settings.SITE_URL.rstrip('/')}{notice.url}"


def test_a_progress_reminder_reaches_a_person_by_sms_wecom_and_dingtalk_signed(
    city,
    personas,
    channels,
    endpoint,
    calendar_seeded,  # noqa: F811
):
    personas.street_leader.phone = PHONE
    personas.street_leader.save()
    choose(
        personas.street_leader, Notification.Event.PROGRESS_REMINDER, ["sms", "wecom", "dingtalk"]
    )
    make_task(city, deadline=TODAY + datetime.timedelta(days=1), title="背街小巷整治")
    before = int(time.time() * 1000)

    assert check_deadlines(today=TODAY)["warning"] == 1
    relay_all()

    notice = Notification.objects.get(recipient=personas.street_leader)
    assert notice.event == Notification.Event.PROGRESS_REMINDER
    text = expected_text(notice)
    assert "背街小巷整治" in text

    [sms] = endpoint.received("/sms/send")
    key = sms["headers"]["x-cc-idempotency-key"]
    assert sms["json"] == {
        "mobile": PHONE,
        "content": f"【市创建办】{text}",
        "event": "progress_reminder",
        "id": key,
    }
    timestamp = sms["headers"]["x-cc-timestamp"]
    signature = hmac.new(
        SMS_SECRET.encode(), f"{timestamp}\n".encode() + sms["body"], hashlib.sha256
    ).hexdigest()
    assert sms["headers"]["x-cc-signature"] == signature
    assert abs(int(timestamp) - before / 1000) < 60

    [wecom] = endpoint.received("/cgi-bin/webhook/send")
    assert wecom["query"] == {"key": "wecom-key-123"}
    assert wecom["json"] == {
        "msgtype": "text",
        "text": {"content": text, "mentioned_mobile_list": [PHONE]},
    }

    [ding] = endpoint.received("/robot/send")
    assert ding["query"]["access_token"] == "ding-token-456"
    ding_ts = ding["query"]["timestamp"]
    digest = hmac.new(
        DING_SECRET.encode(), f"{ding_ts}\n{DING_SECRET}".encode(), hashlib.sha256
    ).digest()
    assert ding["query"]["sign"] == base64.b64encode(digest).decode()
    assert before <= int(ding_ts) <= int(time.time() * 1000)
    assert ding["json"] == {
        "msgtype": "text",
        "text": {"content": f"{text}\n@{PHONE}"},
        "at": {"atMobiles": [PHONE], "isAtAll": False},
    }

    log = Delivery.objects.filter(event="progress_reminder")
    assert sorted(log.values_list("channel", "status", "attempt")) == [
        ("dingtalk", "sent", 1),
        ("sms", "sent", 1),
        ("wecom", "sent", 1),
    ]
    # Phone numbers are personal data: the log keeps them masked.
    assert not Delivery.objects.filter(recipient__contains=PHONE).exists()
    assert log.get(channel="sms").recipient == "138****1111"
    # Sent once: the relay running again sends nothing more.
    relay_all()
    assert len(endpoint.requests) == 3


def test_a_failing_robot_is_retried_with_back_off_and_every_attempt_is_logged(
    personas, channels, endpoint
):
    personas.street_leader.phone = PHONE
    personas.street_leader.save()
    choose(personas.street_leader, Notification.Event.SUPERVISION, ["wecom"])
    endpoint.replies = [
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}, 0),
        (500, {"error": "server"}, 0),
    ]
    notify(
        recipients=[personas.street_leader],
        subject="督办：占道经营",
        level="overdue",
        event=Notification.Event.SUPERVISION,
        campaign=channels["wecom"].campaign,
    )
    message = OutboxMessage.objects.get(kind="campaign.channels.send_message")

    assert outbox.relay() == 0
    message.refresh_from_db()
    assert message.attempts == 1 and message.delivered_at is None
    assert message.available_at > timezone.now()  # backed off
    assert outbox.relay() == 0 and len(endpoint.requests) == 1  # not before its time

    waits = [message.available_at - timezone.now()]
    for expected_attempts in (2, 3):
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        outbox.relay()
        message.refresh_from_db()
        assert message.attempts == expected_attempts
        waits.append(message.available_at - timezone.now())
    # The second failure waits about twice as long as the first (the outbox's back-off).
    assert waits[1] > waits[0] * 1.5
    assert message.delivered_at is not None
    assert len(endpoint.requests) == 3
    attempts = Delivery.objects.order_by("attempt")
    assert [(a.attempt, a.status, a.response_code) for a in attempts] == [
        (1, "failed", 200),
        (2, "failed", 500),
        (3, "sent", 200),
    ]
    assert "93000" in attempts[0].response
    assert attempts[2].recipient == "创建办工作群 @138****1111"


def test_an_endpoint_that_does_not_answer_in_time_is_a_failed_attempt(
    personas, channels, endpoint, settings
):
    settings.CHANNEL_TIMEOUT_SECONDS = 0.5
    personas.street_leader.phone = PHONE
    personas.street_leader.save()
    choose(personas.street_leader, Notification.Event.OVERDUE, ["sms"])
    endpoint.replies = [(200, {"code": 0}, 2)]
    notify(
        recipients=[personas.street_leader],
        subject="逾期",
        level="overdue",
        event=Notification.Event.OVERDUE,
        campaign=channels["sms"].campaign,
    )
    started = time.monotonic()
    outbox.relay()
    assert time.monotonic() - started < 1.5
    attempt = Delivery.objects.get()
    assert (attempt.status, attempt.response_code) == ("failed", None)
    assert "timed out" in attempt.response


def test_a_gateway_error_code_in_a_200_answer_is_a_failure(personas, channels, endpoint):
    personas.street_leader.phone = PHONE
    personas.street_leader.save()
    choose(personas.street_leader, Notification.Event.OVERDUE, ["sms"])
    endpoint.replies = [(200, {"code": 4001, "msg": "签名错误", "mobile": PHONE}, 0)]
    notify(
        recipients=[personas.street_leader],
        subject="逾期",
        event=Notification.Event.OVERDUE,
        campaign=channels["sms"].campaign,
    )
    outbox.relay()
    attempt = Delivery.objects.get()
    assert attempt.status == "failed" and "4001" in attempt.response
    message = OutboxMessage.objects.get(kind__endswith="send_message")
    assert message.delivered_at is None
    # The gateway echoed the number: neither the log nor the outbox keeps it whole.
    assert PHONE not in attempt.response and "138****1111" in attempt.response
    assert PHONE not in message.last_error


def test_a_units_robot_receives_the_events_it_subscribed_to_without_mentions(
    city, personas, channels, endpoint
):
    robot = channels["dingtalk"]
    robot.events = [Notification.Event.SUPERVISION]
    robot.save()
    for event in (Notification.Event.SUPERVISION, Notification.Event.TASK_ASSIGNED):
        notify(
            recipients=[personas.street_leader, personas.street_liaison],
            subject=f"通知 {event}",
            event=event,
            campaign=city.campaign,
        )
    # Another district's notice never reaches 东华街道's group.
    notify(
        recipients=[personas.other_district_leader],
        subject="西城区督办",
        event=Notification.Event.SUPERVISION,
        campaign=city.campaign,
    )
    outbox.relay()
    [post] = endpoint.received("/robot/send")
    assert post["json"]["text"]["content"].startswith("通知 supervision")
    assert post["json"]["at"] == {"atMobiles": [], "isAtAll": False}


def submit_part_while_the_gateway_hangs(city, personas, client_for, endpoint, channels):
    """The command staff chose `channels` for tasks awaiting acceptance; the endpoints take
    4 seconds to answer; 东华街道's liaison submits its part. Returns the seconds the page took."""
    staff = personas.command_staff
    staff.phone = PHONE
    staff.save()
    choose(staff, Notification.Event.TASK_REVIEW, channels)
    endpoint.replies = [(200, {"code": 0}, 4)] * len(channels)
    part = make_task(city).parts.get(unit=city.donghua)
    liaison = client_for(personas.street_liaison)
    assert liaison.get(part.get_absolute_url()).status_code == 200  # a warm process

    started = time.monotonic()
    response = liaison.post(
        reverse("tasks:part_progress", args=[part.pk]),
        {"text": "全部整改到位", "progress": 100, "submit": "on", "version": part.version},
    )
    assert response.status_code == 302
    return time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_a_page_action_answers_at_once_while_the_gateway_hangs(
    city, personas, channels, endpoint, client_for
):
    elapsed = submit_part_while_the_gateway_hangs(city, personas, client_for, endpoint, ["sms"])
    assert elapsed < 1.5, elapsed
    # The message still goes out, after the page answered.
    assert wait_until(lambda: Delivery.objects.filter(status="sent").exists(), timeout=15)
    [sms] = endpoint.received("/sms/send")
    assert sms["json"]["mobile"] == PHONE


@pytest.mark.worker
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_through_a_real_worker_the_page_answers_and_the_worker_sends(
    city, personas, channels, endpoint, client_for, real_worker
):
    elapsed = submit_part_while_the_gateway_hangs(
        city, personas, client_for, endpoint, ["sms", "wecom"]
    )
    assert elapsed < 1.5, elapsed
    assert wait_until(lambda: Delivery.objects.filter(status="sent").count() == 2, timeout=30)
    assert sorted(r["path"] for r in endpoint.requests) == ["/cgi-bin/webhook/send", "/sms/send"]


def test_low_priority_notices_wait_for_one_daily_digest(personas, channels, endpoint):
    person = personas.street_leader
    person.phone = PHONE
    person.save()
    choose(person, Notification.Event.TASK_DECISION, ["sms"], digest=True)
    campaign = channels["sms"].campaign
    for title in ("已验收：道路保洁", "已验收：公益广告"):
        notify(
            recipients=[person],
            subject=title,
            event=Notification.Event.TASK_DECISION,
            campaign=campaign,
        )
    # A red notice of the same event is not low priority: it goes at once.
    notify(
        recipients=[person],
        subject="已退回：占道经营",
        level="overdue",
        event=Notification.Event.TASK_DECISION,
        campaign=campaign,
    )
    outbox.relay()
    assert [r["json"]["content"] for r in endpoint.requests] == ["【市创建办】已退回：占道经营"]

    assert send_digests() == 1
    assert send_digests() == 0  # the same key: queued once
    outbox.relay()
    assert len(endpoint.requests) == 2
    digest = endpoint.requests[1]["json"]["content"]
    assert "已验收：道路保洁" in digest and "已验收：公益广告" in digest
    assert "已退回" not in digest
    assert OutboxMessage.objects.filter(idempotency_key__startswith="digest:").count() == 1
    # Tomorrow's digest starts where today's ended: nothing is sent twice or left out.
    late = notify(
        recipients=[person],
        subject="已验收：夜市整治",
        event=Notification.Event.TASK_DECISION,
        campaign=campaign,
    )[0]
    tomorrow = timezone.now() + timezone.timedelta(days=1)
    Notification.objects.filter(pk=late.pk).update(
        created_at=tomorrow - timezone.timedelta(hours=1)
    )
    assert send_digests(now=tomorrow) == 1
    outbox.relay()
    assert len(endpoint.requests) == 3
    assert endpoint.requests[2]["json"]["content"] == "【市创建办】已验收：夜市整治"


# --- pages ------------------------------------------------------------------------------------


def test_the_office_adds_a_robot_and_never_sees_its_credentials_again(city, personas, client_for):
    office = client_for(personas.office_admin)
    response = office.post(
        "/org/channels/new/",
        {
            "channel": "dingtalk",
            "unit": city.donghua.pk,
            "name": "东华街道创城群",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok-9f8e7d6c5b4a",
            "secret": "SECsupersecret0123456789",
            "events": ["supervision", "overdue"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    robot = ChannelEndpoint.objects.get()
    assert (robot.unit, robot.events) == (city.donghua, ["supervision", "overdue"])

    for url in ("/org/channels/", f"/org/channels/{robot.pk}/edit/"):
        html = office.get(url).content.decode()
        assert "tok-9f8e7d6c5b4a" not in html and "SECsupersecret0123456789" not in html
    assert "tok-…" in office.get("/org/channels/").content.decode()

    # Saving without typing them again keeps the stored address and secret.
    office.post(
        f"/org/channels/{robot.pk}/edit/",
        {
            "channel": "dingtalk",
            "unit": city.donghua.pk,
            "name": "东华街道群",
            "url": "",
            "secret": "",
        },
    )
    robot.refresh_from_db()
    assert robot.name == "东华街道群"
    assert robot.secret == "SECsupersecret0123456789"
    assert robot.url.endswith("access_token=tok-9f8e7d6c5b4a")
    assert not robot.enabled
    summaries = AuditEntry.objects.filter(object_type="campaign.channelendpoint")
    assert summaries.count() == 2
    assert not AuditEntry.objects.filter(changes__icontains="SECsupersecret").exists()


def test_an_sms_gateway_needs_a_secret_and_serves_the_whole_campaign(city, personas, client_for):
    response = client_for(personas.office_admin).post(
        "/org/channels/new/",
        {
            "channel": "sms",
            "unit": city.donghua.pk,
            "name": "短信",
            "url": "https://sms.example.cn/",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"unit", "secret"}
    assert not ChannelEndpoint.objects.exists()


def test_a_district_leader_cannot_open_the_channels_or_the_delivery_log(personas, client_for):
    leader = client_for(personas.district_leader)
    assert leader.get("/org/channels/").status_code == 403
    assert leader.get("/org/deliveries/").status_code == 403


def test_a_person_chooses_channels_per_event_and_notices_follow(
    personas, channels, endpoint, client_for
):
    person = personas.street_leader
    person.phone = PHONE
    person.save()
    data = {f"{event}-channels": ["email"] for event in Notification.Event.values}
    data["finding_assigned-channels"] = ["sms", "wecom"]
    data["task_decision-digest"] = "on"
    response = client_for(person).post("/org/notifications/preferences/", data)
    assert response.status_code == 302
    assert NoticePreference.objects.get(person=person, event="finding_assigned").channels == [
        "sms",
        "wecom",
    ]
    assert NoticePreference.objects.get(person=person, event="task_decision").digest
    page = client_for(person).get("/org/notifications/preferences/").content.decode()
    assert "138****1111" in page and PHONE not in page

    for event in ("finding_assigned", "task_assigned"):
        notify(recipients=[person], subject=event, event=event, campaign=channels["sms"].campaign)
    outbox.relay()
    assert sorted(r["path"] for r in endpoint.requests) == ["/cgi-bin/webhook/send", "/sms/send"]


def test_a_person_sets_their_own_mobile_number_shown_masked_and_audited(personas, client_for):
    person = personas.street_leader
    assert not person.phone
    client = client_for(person)
    page = client.get("/org/notifications/preferences/").content.decode()
    assert reverse("campaign:notice_mobile") in page
    for wrong in ("12800001111", "1380000111", "138000011112", "abc13800001111"):
        response = client.post(reverse("campaign:notice_mobile"), {"phone": wrong})
        assert response.status_code == 400, wrong
        assert "1[3-9]" not in response.content.decode()  # a sentence, not the pattern
        person.refresh_from_db()
        assert person.phone == ""
    response = client.post(reverse("campaign:notice_mobile"), {"phone": " 138 0000 1111 "})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == PHONE
    page = client.get("/org/notifications/preferences/").content.decode()
    assert "138****1111" in page and PHONE not in page
    client.post(reverse("campaign:notice_mobile"), {"phone": "13900002222"})
    person.refresh_from_db()
    assert person.phone == "13900002222"
    entries = AuditEntry.for_object(person).filter(changes__has_key="phone").order_by("at", "pk")
    assert [e.changes["phone"] for e in entries] == [
        ["", "138****1111"],
        ["138****1111", "139****2222"],
    ]
    assert all(e.actor == person for e in entries)
    # Each person sets only their own: the form names no person.
    other = personas.street_liaison
    other.refresh_from_db()
    assert other.phone != "13900002222"


def test_the_delivery_log_shows_each_attempt_masked_and_filters_by_status(
    city, personas, channels, endpoint, client_for
):
    person = personas.street_leader
    person.phone = PHONE
    person.save()
    choose(person, Notification.Event.OVERDUE, ["sms"])
    endpoint.replies = [(503, {"code": 503}, 0)]
    notify(
        recipients=[person], subject="逾期提醒：背街小巷", event="overdue", campaign=city.campaign
    )
    outbox.relay()
    OutboxMessage.objects.update(available_at=timezone.now())
    outbox.relay()
    other = Campaign.objects.create(
        name="另一创建周期",
        level=city.campaign.level,
        city="外市",
        start_date=city.campaign.start_date,
        end_date=city.campaign.end_date,
    )
    Delivery.objects.create(
        campaign=other,
        key="k",
        channel="sms",
        event="overdue",
        recipient="139****0000",
        subject="外市的提醒",
        attempt=1,
        status="sent",
    )
    office = client_for(personas.office_admin)
    html = office.get("/org/deliveries/").content.decode()
    assert html.count("逾期提醒：背街小巷") == 2
    assert "外市的提醒" not in html  # another campaign's log
    assert "138****1111" in html and PHONE not in html
    failed = office.get("/org/deliveries/?status=failed")
    assert [d.attempt for d in failed.context["page"]] == [1]
    assert failed.context["page"][0].response_code == 503


def test_the_delivery_log_and_channel_list_query_counts_do_not_grow(
    city, personas, channels, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = client_for(personas.office_admin)

    def add_attempts(count):
        Delivery.objects.bulk_create(
            Delivery(
                campaign=city.campaign,
                key=f"send:{n}:sms",
                channel="sms",
                event="overdue",
                endpoint=channels["sms"],
                recipient="138****1111",
                subject="逾期",
                attempt=1,
                status="sent",
            )
            for n in range(count)
        )

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert office.get(url).status_code == 200
        return len(ctx.captured_queries)

    add_attempts(2)
    few = queries("/org/deliveries/"), queries("/org/channels/")
    add_attempts(48)
    for unit in (city.donghua1, city.east, city.west):
        ChannelEndpoint.objects.create(
            campaign=city.campaign, unit=unit, channel="wecom", name="社区群", url="http://x/"
        )
    assert (queries("/org/deliveries/"), queries("/org/channels/")) == few
