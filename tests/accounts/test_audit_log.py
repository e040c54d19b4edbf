"""The audit log (issue 9, defect 6): one append-only store that nothing deletes before the
retention period, with address and user agent on every entry, covering every event class."""

import datetime

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from campaign.jobs import purge_audit_entries
from campaign.models import AuditEntry, Evidence, Role, Standard
from tasks.models import Task, TaskEvent
from tests.conftest import make_person
from tests.indicators.conftest import org, sample_system  # noqa: F401 (fixtures)


def entry(**values):
    return AuditEntry.objects.create(
        **{"action": AuditEntry.Action.UPDATE, "summary": "x", **values}
    )


def test_entries_cannot_be_changed_or_deleted_through_the_orm(personas):
    e = entry(actor=personas.office_admin)
    with pytest.raises(TypeError):
        e.save()
    with pytest.raises(TypeError):
        e.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.update(summary="forged")


def test_the_database_refuses_to_delete_or_change_an_entry(personas):
    e = entry(actor=personas.office_admin)
    table = AuditEntry._meta.db_table
    for sql in (f"DELETE FROM {table}", f"UPDATE {table} SET summary = 'forged'"):
        with (
            pytest.raises((IntegrityError, DatabaseError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=e.pk).summary == "x"


def test_the_admin_site_cannot_delete_or_change_entries(personas):
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = personas.office_admin
    request.user.is_superuser = True
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_clean_up_keeps_at_least_180_days(personas, settings):
    settings.AUDIT_RETENTION_DAYS = 30  # too short: 180 days are kept all the same
    old = entry(at=timezone.now() - datetime.timedelta(days=181))
    recent = entry(at=timezone.now() - datetime.timedelta(days=179))
    assert purge_audit_entries() == 1
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AuditEntry.objects.filter(pk=old.pk).exists()


def test_a_task_with_history_cannot_be_deleted(city):
    task = Task.objects.create(
        campaign=city.campaign,
        title="t",
        lead_unit=city.donghua,
        deadline=datetime.date(2026, 5, 1),
    )
    TaskEvent.objects.create(task=task, kind=TaskEvent.Kind.CREATED, to_status=task.status)
    with pytest.raises(ProtectedError):
        task.delete()


def test_access_denials_are_recorded_with_address_and_user_agent(personas, city, client_for):
    client = client_for(personas.other_district_leader)
    client.get(
        reverse("campaign:unit_detail", args=[city.donghua.pk]),
        REMOTE_ADDR="10.1.1.1",
        HTTP_USER_AGENT="Chrome/130",
    )
    client.get(
        reverse("campaign:person_list"), REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="Chrome/130"
    )
    denials = AuditEntry.objects.filter(action=AuditEntry.Action.DENIED)
    assert sorted(d.changes["status"] for d in denials) == [403, 404]
    assert {(d.ip_address, d.user_agent, d.actor) for d in denials} == {
        ("10.1.1.1", "Chrome/130", personas.other_district_leader)
    }


def test_exports_are_recorded(personas, client_for):
    client_for(personas.office_admin).get(reverse("tasks:task_export"), REMOTE_ADDR="10.2.2.2")
    export = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert export.actor == personas.office_admin
    assert export.ip_address == "10.2.2.2"


def test_downloads_of_private_files_are_recorded(sample_system, personas, client_for):  # noqa: F811
    standard = Standard.objects.filter(system=sample_system).first()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    client_for(personas.office_admin).post(
        reverse("campaign:evidence_upload", args=[standard.pk]),
        {
            "subject": "承诺书",
            "taken_on": "2026-03-01",
            "place": "市政府",
            "people": "全体",
            "upload": SimpleUploadedFile("承诺.pdf", pdf),
        },
    )
    evidence = Evidence.objects.get()
    client_for(personas.leader).get(reverse("campaign:evidence_file", args=[evidence.pk]))
    download = AuditEntry.objects.get(action=AuditEntry.Action.DOWNLOAD)
    assert download.actor == personas.leader
    assert download.object_id == str(evidence.pk)


def test_role_changes_are_recorded(personas, city, client_for):
    client = client_for(personas.office_admin)
    client.post(
        reverse("campaign:person_detail", args=[personas.leader.pk]),
        {"role": Role.INSPECTOR},
    )
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ROLE, object_id=str(personas.leader.pk)
    ).exists()


def test_an_auditor_sees_site_wide_and_own_campaign_entries_only(personas, campaign, client_for):
    from campaign.models import Campaign

    other = Campaign.objects.create(
        name="别的周期", level="county", city="别市", start_date="2025-01-01", end_date="2026-12-31"
    )
    entry(campaign=other, summary="其他周期的事")
    entry(summary="站点级事件")
    auditor = make_person(campaign, "auditor", Role.AUDITOR)
    page = client_for(auditor).get(reverse("campaign:audit_list")).content.decode()
    assert "站点级事件" in page
    assert "其他周期的事" not in page
