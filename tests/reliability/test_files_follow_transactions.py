"""A photo or document exists exactly when the row that holds it was committed."""

import datetime
import os
import time
import uuid

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaign import uploads
from inspections.models import Finding, FindingPhoto
from tests.inspections.conftest import make_photo
from tests.inspections.test_pages import entry

pytestmark = pytest.mark.django_db


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def citizen_report(campaign, photos):
    client = Client()
    client.raise_request_exception = False
    return client.post(
        reverse("inspections:citizen_report_for", args=[campaign.pk]),
        {"description": "人行道上堆满建筑垃圾", "address": "东华路8号", "photo": photos},
    )


def test_every_model_that_stores_files_uses_the_transactional_storage():
    file_fields = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]
    assert len(file_fields) >= 6  # finding photos, task evidence, archive evidence, bulletin PDF
    for field in file_fields:
        assert isinstance(field.storage, uploads.TransactionalFileSystemStorage), field


def test_a_failure_after_the_first_photo_leaves_neither_row_nor_file(
    campaign, settings, monkeypatch
):
    written = []
    save = FileSystemStorage._save

    def disk_full_on_the_second_photo(storage, name, content):
        if len(written) == 2:  # the first photo and its thumbnail went through
            raise OSError(28, "No space left on device")
        written.append(name)
        return save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full_on_the_second_photo)
    response = citizen_report(campaign, [make_photo("a.jpg"), make_photo("b.jpg")])
    assert response.status_code == 503
    assert "照片和文件暂时无法保存" in response.content.decode()
    assert not Finding.objects.exists() and not FindingPhoto.objects.exists()
    assert len(written) == 2 and files_under(settings.MEDIA_ROOT) == []


@pytest.mark.django_db(transaction=True)  # real commits: the rate-limit count commits first
def test_an_unwritable_media_folder_answers_a_clear_chinese_error_and_saves_nothing(
    campaign, settings, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"
    response = citizen_report(campaign, [make_photo("a.jpg")])
    html = response.content.decode()
    assert response.status_code == 503
    assert "存储目录不可写" in html and "没有保存" in html
    assert not Finding.objects.exists()


def test_a_rolled_back_transaction_deletes_the_files_it_wrote(settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        name = default_storage.save("evidence/x.pdf", ContentFile(b"%PDF-1.4"))
        assert default_storage.exists(name)
        raise RuntimeError("rolled back")
    uploads.discard_rolled_back_files()
    assert not default_storage.exists(name)


def test_a_committed_or_still_open_transaction_keeps_its_files(settings):
    with transaction.atomic():
        kept = default_storage.save("evidence/kept.pdf", ContentFile(b"%PDF-1.4"))
    # The test's own transaction is still open: nothing is known to have rolled back.
    uploads.discard_rolled_back_files()
    assert default_storage.exists(kept)


def test_the_sweep_removes_old_files_no_row_refers_to(settings, make_finding):
    finding = make_finding()
    photo = finding.photos.get()
    root = settings.MEDIA_ROOT
    orphan = root / "findings" / "orphan.jpg"
    orphan.write_bytes(b"left by a crash")
    fresh = root / "findings" / "fresh.jpg"
    fresh.write_bytes(b"maybe being written now")
    a_day_ago = time.time() - 25 * 3600
    for path in [orphan, root / photo.image.name, root / photo.thumbnail.name]:
        os.utime(path, (a_day_ago, a_day_ago))
    assert uploads.sweep_orphan_files(older_than=datetime.timedelta(hours=24)) == 1
    assert not orphan.exists() and fresh.exists()
    assert (root / photo.image.name).exists() and (root / photo.thumbnail.name).exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_finding_keeps_its_photos_when_jobs_run_in_its_commit_hooks(
    personas, city, category, client_for, settings
):
    # Without Redis, the notification job runs in-process inside the commit's hooks.
    response = client_for(personas.inspector).post(
        reverse("inspections:finding_create"), entry(category, city)
    )
    assert response.status_code == 302
    photo = FindingPhoto.objects.get()
    assert files_under(settings.MEDIA_ROOT) == sorted([photo.image.name, photo.thumbnail.name])


def test_the_nightly_sweep_job_clears_orphans_counters_and_old_tokens(settings):
    from campaign.jobs import sweep_orphans
    from campaign.models import FormSubmission, RateLimitCounter

    root = settings.MEDIA_ROOT
    (root / "findings").mkdir(parents=True)
    orphan = root / "findings" / "orphan.jpg"
    orphan.write_bytes(b"left by a crash")
    two_days_ago = time.time() - 48 * 3600
    os.utime(orphan, (two_days_ago, two_days_ago))
    long_ago = timezone.now() - datetime.timedelta(days=30)
    RateLimitCounter.objects.create(key="citizen-report:10.1.2.3", window_start=long_ago)
    FormSubmission.objects.create(token=uuid.uuid4(), created_at=long_ago)
    recent = FormSubmission.objects.create(token=uuid.uuid4())
    assert sweep_orphans() == {"files": 1, "counters": 1, "tokens": 1}
    assert not orphan.exists() and list(FormSubmission.objects.all()) == [recent]
