"""Large exports run as jobs: above EXPORT_INLINE_MAX_ROWS the request only queues the export,
a worker (the "exports" queue) writes it for the person who asked, as they may see the rows
when it runs; the person follows its progress, is notified, and downloads it until the link
expires. Nobody else can open it."""

import datetime
import io
import os

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from campaign import exports, outbox
from campaign.models import AuditEntry, ExportJob, Membership, Notification, OutboxMessage, Role
from config.celery import app
from inspections.models import Finding, FindingCategory, Status
from tests.conftest import make_person
from tests.tasks.conftest import make_task

pytestmark = pytest.mark.django_db

LEDGER = "/ledger/export/"


def add_findings(city, unit, n):
    category, _new = FindingCategory.objects.get_or_create(campaign=city.campaign, name="占道经营")
    return Finding.objects.bulk_create(
        Finding(
            campaign=city.campaign,
            source="routine",
            description=f"{unit.name}第{i}号问题",
            category=category,
            address=f"{unit.name}{i}号",
            territory=unit,
            unit=unit,
            status=Status.ASSIGNED,
            found_on=datetime.date(2026, 3, 1),
            deadline=datetime.date(2026, 3, 10),
        )
        for i in range(n)
    )


@pytest.fixture
def findings(city):
    """Three findings of 东华街道 and one of 西城区."""
    return add_findings(city, city.donghua, 3) + add_findings(city, city.west, 1)


@pytest.fixture(autouse=True)
def threshold(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2


@pytest.fixture
def no_file_in_the_request(monkeypatch):
    """Writing any workbook or CSV while this is active fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the request built the export file")

    monkeypatch.setattr(exports.TabularExport, "write_xlsx", refuse)
    monkeypatch.setattr(exports.TabularExport, "csv_lines", refuse)
    return monkeypatch


def ask(client, url=LEDGER, **query):
    response = client.get(url, query)
    assert response.status_code == 302, response
    job = ExportJob.objects.order_by("-pk").first()
    assert response["Location"] == job.get_absolute_url()
    return job


def run_the_worker():
    """Deliver the queued export as the exports worker would (jobs run in-process in tests)."""
    assert outbox.relay() >= 1


def rows_of(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def auditor_with_entries(city):
    person = make_person(city.campaign, "auditor", Role.AUDITOR)
    for n in range(3):
        AuditEntry.record(
            actor=person,
            action=AuditEntry.Action.UPDATE,
            summary=f"第{n}条",
            campaign=city.campaign,
        )
    return person


def office_with_tasks(city, personas):
    for n in range(3):
        make_task(city, title=f"任务{n}")
    return personas.office_admin


@pytest.mark.parametrize(
    ("url", "fmt", "who"),
    [
        (LEDGER, "xlsx", lambda city, personas: personas.office_admin),
        (LEDGER, "csv", lambda city, personas: personas.office_admin),
        ("/tasks/export/", "xlsx", office_with_tasks),
        ("/org/audit/export/", "csv", lambda city, personas: auditor_with_entries(city)),
    ],
)
def test_above_the_threshold_an_export_is_queued_for_the_exports_queue_and_no_file_is_built(
    url, fmt, who, findings, city, personas, client_for, no_file_in_the_request
):
    person = who(city, personas)
    exports_before = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).count()

    job = ask(client_for(person), url, format=fmt)

    assert (job.requested_by, job.state, job.format) == (person, ExportJob.State.QUEUED, fmt)
    assert job.rows_total >= 3 and not job.file
    message = OutboxMessage.objects.get(kind="campaign.exports.make_export")
    assert message.payload == {"job_id": job.pk} and message.delivered_at is None
    assert outbox.queue_of(message.kind) == "exports"
    # The request is in the audit log, naming the job.
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).order_by("-pk")
    assert entries.count() == exports_before + 1
    assert (entries[0].actor, entries[0].object_id) == (person, str(job.pk))


def test_at_or_under_the_threshold_the_file_is_made_in_the_request(
    findings, personas, client_for, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 4
    response = client_for(personas.office_admin).get(LEDGER)
    assert response["Content-Disposition"].startswith("attachment")
    assert len(rows_of(response)) == 2 + 4
    assert not ExportJob.objects.exists()


def test_the_job_page_shows_progress_and_polls_until_done(findings, personas, client_for):
    client = client_for(personas.office_admin)
    job = ask(client, status="assigned")
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, rows_done=2)

    page = client.get(job.get_absolute_url())
    text = page.content.decode()
    assert "正在生成… 已完成 2 / 4 行" in text
    assert f'hx-get="{job.get_absolute_url()}"' in text  # htmx polls while it runs
    assert "/download/" not in text

    partial = client.get(job.get_absolute_url(), headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and "已完成 2 / 4 行" in partial.content.decode()


def test_a_finished_export_downloads_for_its_requester_with_a_notification(
    findings, personas, client_for
):
    client = client_for(personas.office_admin)
    job = ask(client, status="assigned")

    run_the_worker()

    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_done == job.rows_total == 4
    assert job.expires_at > timezone.now() + datetime.timedelta(hours=23)
    notice = Notification.objects.get(recipient=personas.office_admin)
    assert notice.url == job.get_absolute_url() and job.title in notice.subject
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'href="/org/exports/{job.pk}/download/"' in page and "hx-get" not in page
    response = client.get(f"/org/exports/{job.pk}/download/")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    rows = rows_of(response)
    assert rows[1][:3] == ("序号", "问题编号", "发现日期")  # the office layout, as inline
    assert len(rows) == 2 + 4
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DOWNLOAD, actor=personas.office_admin, object_id=str(job.pk)
    ).exists()


@pytest.mark.parametrize("other", ["other_district_leader", "street_leader", "leader"])
def test_nobody_else_can_see_or_download_an_export(other, findings, personas, client_for):
    job = ask(client_for(personas.office_admin))
    run_the_worker()
    stranger = client_for(getattr(personas, other))
    assert stranger.get(job.get_absolute_url()).status_code == 404
    assert stranger.get(f"/org/exports/{job.pk}/download/").status_code == 404


def test_an_expired_link_is_refused_with_a_page_saying_so_and_its_file_is_deleted(
    findings, personas, client_for
):
    client = client_for(personas.office_admin)
    job = ask(client)
    run_the_worker()
    job.refresh_from_db()
    path = job.file.path
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())

    for url in (job.get_absolute_url(), f"/org/exports/{job.pk}/download/"):
        response = client.get(url)
        assert response.status_code == 410
        assert "下载链接已过期" in response.content.decode()

    assert exports.delete_expired_exports() == 1
    job.refresh_from_db()
    assert not job.file and not os.path.exists(path)
    assert exports.delete_expired_exports() == 0


def test_the_worker_reads_the_scope_of_the_requester_when_it_runs(
    findings, city, personas, client_for
):
    add_findings(city, city.donghua, 1)
    job = ask(client_for(personas.street_leader))
    assert job.rows_total == 4  # 东华街道's four; 西城区's is not theirs
    # Before the worker runs, one finding is handed to another district.
    Finding.objects.filter(pk=findings[0].pk).update(unit=city.west, territory=city.west)

    run_the_worker()

    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and job.rows_total == 3
    response = client_for(personas.street_leader).get(f"/org/exports/{job.pk}/download/")
    rows = rows_of(response)[2:]
    assert len(rows) == 3 and all(row[8] == "东华街道" for row in rows)


def test_a_requester_who_lost_the_right_gets_a_failed_job_and_no_file(findings, city, client_for):
    person = auditor_with_entries(city)
    job = ask(client_for(person), "/org/audit/export/")
    Membership.history.filter(person=person).update(ended_at=timezone.now())  # role ended

    run_the_worker()

    job.refresh_from_db()
    assert job.state == ExportJob.State.FAILED and not job.file
    assert "不能再查看" in job.error
    assert Notification.objects.get(recipient=person).url == job.get_absolute_url()


def test_done_and_its_notification_are_one_transaction(findings, personas, client_for, monkeypatch):
    client = client_for(personas.office_admin)
    job = ask(client)

    def broken(**kwargs):
        raise RuntimeError("notification table unavailable")

    monkeypatch.setattr(exports, "notify", broken)
    outbox.relay()
    job.refresh_from_db()
    assert job.state != ExportJob.State.DONE and not Notification.objects.exists()

    monkeypatch.undo()
    OutboxMessage.objects.update(available_at=timezone.now())  # the back-off has passed
    run_the_worker()
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE and Notification.objects.count() == 1


def test_the_relay_sends_rows_of_heavy_handlers_to_their_queue(
    findings, personas, client_for, monkeypatch
):
    """With a broker, the relay (on the default queue) never runs an export itself."""
    job = ask(client_for(personas.office_admin))
    sent = []
    monkeypatch.setattr(outbox, "_send", lambda ids, queue: sent.append((queue, ids)))
    app.conf.task_always_eager = False
    try:
        assert outbox.relay() == 0
    finally:
        app.conf.task_always_eager = True

    message = OutboxMessage.objects.get(kind="campaign.exports.make_export")
    assert sent == [("exports", [message.pk])]
    job.refresh_from_db()
    assert job.state == ExportJob.State.QUEUED


def test_bulletin_pdfs_and_live_figures_are_routed_off_the_default_queue():
    assert outbox.queue_of("reports.bulletins.render_bulletin") == "pdf"
    assert outbox.queue_of("reports.bulletins.make_due_bulletin") == "pdf"
    assert outbox.queue_of("reports.rankings.compute_week") == "exports"
    assert outbox.queue_of("campaign.notifications.deliver_notice") == "default"


def test_every_row_keeps_its_own_values_and_the_office_formats(
    findings, personas, client_for, settings
):
    settings.EXPORT_INLINE_MAX_ROWS = 100
    response = client_for(personas.office_admin).get(LEDGER)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active

    assert [sheet.cell(row=r, column=6).value for r in range(3, 7)] == [
        "东华街道第0号问题",
        "东华街道第1号问题",
        "东华街道第2号问题",
        "西城区第0号问题",
    ]
    assert [sheet.cell(row=r, column=1).value for r in range(3, 7)] == [1, 2, 3, 4]
    found = sheet.cell(row=3, column=3)
    assert found.value == datetime.datetime(2026, 3, 1) and found.number_format == "yyyy-mm-dd"
    text = sheet.cell(row=4, column=6)
    assert text.border.left.style == "thin" and text.alignment.wrap_text
    not_closed = sheet.cell(row=5, column=17)
    assert not_closed.value is None and not_closed.border.left.style == "thin"
    assert sheet.cell(row=2, column=1).font.b and sheet.cell(row=1, column=1).font.sz == 14
    assert sheet.freeze_panes == "A3"
