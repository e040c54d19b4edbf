"""Uploaded files: one policy for every upload field, and serving them privately.

The policy: a file's type is decided from its content, never its name or the browser's
content type; photos are decoded and re-encoded as JPEG (metadata such as EXIF GPS and
device dropped, orientation applied, a pixel cap enforced as a form error); documents are
kept as uploaded but stored and offered for download under a name whose suffix matches
their content; every kind has a size cap (the form checks it, `RequestSizeLimitMiddleware`
refuses an oversized body from its Content-Length before reading it).

Serving (`private_file_response`): each app's view checks scope first; the response type
comes from the stored bytes: our re-encoded JPEG/PNG photos inline, anything else as an
attachment of a fixed harmless type, always with `nosniff`, a sandboxing CSP and no-store.

Every model's files go through `TransactionalFileSystemStorage` (STORAGES["default"]):
a file lives only if the transaction that wrote it commits.
"""

import datetime
import io
import logging
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .models import AuditEntry
from .request_context import current_request

# Pillow's own guard (a warning up to twice this, an error beyond) backs up the explicit
# pixel cap of check_image for any other code that opens images (e.g. WeasyPrint).
Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc, xls, ppt and WPS's wps/et/dps
LEGACY_OFFICE_SUFFIXES = {".doc", ".xls", ".ppt", ".wps", ".et", ".dps"}
# What a downloaded document may be called: the suffixes our content checks give out.
# (.csv: exports the app writes itself; sent as octet-stream attachments like the rest.)
DOWNLOAD_SUFFIXES = {".pdf", ".docx", ".xlsx", ".pptx", ".csv", *LEGACY_OFFICE_SUFFIXES}
# Office Open XML documents are zip files; the part that names each kind.
OOXML_PARTS = [
    ("word/document.xml", ".docx"),
    ("xl/workbook.xml", ".xlsx"),
    ("ppt/presentation.xml", ".pptx"),
]

# Served inline only when the stored bytes are one of the image types we write ourselves.
INLINE_SIGNATURES = [(b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png")]
# A private file is never a page: even if a browser tried to render one, nothing runs.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def size_limit_mb(kind):
    """The size cap, in megabytes, for an upload of `kind` (photo, document or workbook)."""
    return {
        "photo": settings.PHOTO_MAX_MB,
        "document": settings.UPLOAD_MAX_MB,
        "workbook": settings.WORKBOOK_MAX_MB,
    }[kind]


def check_size(upload, kind):
    limit = size_limit_mb(kind)
    if upload.size > limit * 1024 * 1024:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.") % {"name": upload.name, "mb": limit},
            code="too_large",
        )


def _not_image(upload):
    return ValidationError(
        _("“%(name)s” is not a photo: upload a JPEG, PNG or WebP image.") % {"name": upload.name},
        code="not_image",
    )


def _too_many_pixels(upload):
    return ValidationError(
        _(
            "“%(name)s” has too many pixels for a photo (at most %(mp)s megapixels): "
            "send a smaller picture."
        )
        % {"name": upload.name, "mp": settings.IMAGE_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def check_image(upload):
    """Refuse files that are not images by their content, are too large, or have more
    pixels than the cap (decided from the header, before any pixel is decoded).
    Returns the format."""
    check_size(upload, "photo")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.width * image.height > settings.IMAGE_MAX_PIXELS:
                raise _too_many_pixels(upload)
            image.verify()
            image_format = image.format
    except Image.DecompressionBombError:
        raise _too_many_pixels(upload) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise _not_image(upload) from None
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise _not_image(upload)
    return image_format


def document_suffix(upload):
    """The suffix a document's content calls for (".pdf", ".docx" …), or None if the
    content is no document we accept. The uploader's name is only consulted to tell the
    old binary Office and WPS formats apart, which share one container."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return ".pdf"
        if head.startswith(OLE2_SIGNATURE):
            suffix = Path(upload.name).suffix.lower()
            return suffix if suffix in LEGACY_OFFICE_SUFFIXES else ".doc"
        if head.startswith(b"PK\x03\x04"):
            try:
                with zipfile.ZipFile(upload) as archive:
                    names = set(archive.namelist())
            except (zipfile.BadZipFile, OSError, ValueError):
                return None
            if "[Content_Types].xml" in names:
                return next((sfx for part, sfx in OOXML_PARTS if part in names), None)
        return None
    finally:
        upload.seek(0)


def safe_name(name, suffix):
    """The uploader's file name without folders, ending in the suffix its content calls for."""
    stem = Path(Path(name).name).stem.strip()[:80] or "file"
    return f"{stem}{suffix}"


def clean_document(upload):
    """The policy for evidence (archive or progress reports): a photo or an office document.

    Returns (kind, file): ("image", a re-encoded JPEG) or ("document", the upload renamed
    so its suffix matches its content). Raises ValidationError for anything else.
    """
    check_size(upload, "document")
    suffix = document_suffix(upload)
    if suffix:
        upload.name = safe_name(upload.name, suffix)
        return "document", upload
    try:
        return "image", prepare_photo(upload).image
    except ValidationError as exc:
        if exc.code in ("too_large", "too_many_pixels"):
            raise
    raise ValidationError(
        _("“%(name)s” is not an accepted file: upload a photo, PDF, Word, Excel or WPS document.")
        % {"name": upload.name},
        code="bad_document",
    )


@dataclass
class PreparedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    taken_at: datetime.datetime | None
    width: int
    height: int


def _taken_at(image):
    """The shooting time from EXIF (DateTimeOriginal), in the site's time zone, or None."""
    try:
        exif = image.getexif()
        value = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(
            ExifTags.Base.DateTime
        )
        if not value:
            return None
        naive = datetime.datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        return timezone.make_aware(naive)
    except (ValueError, KeyError, AttributeError, TypeError):
        return None


def _jpeg(image, name, quality):
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return ContentFile(buffer.getvalue(), name=name)


def prepare_photo(upload, *, max_side=2048, thumb_side=360):
    """Check an uploaded photo, keep its shooting time, and return it re-encoded as a
    resized JPEG with a thumbnail: no metadata (EXIF GPS, device, XMP) is carried over."""
    check_image(upload)
    upload.seek(0)
    try:
        with Image.open(upload) as original:
            taken_at = _taken_at(original)
            # Shrink first, so no full-size copy is ever made: a JPEG decodes straight at a
            # reduced scale (draft), other formats once at full size (bounded by the cap).
            original.draft("RGB", (max_side, max_side))
            original.thumbnail((max_side, max_side))
            image = ImageOps.exif_transpose(original).convert("RGB")
    except (OSError, SyntaxError, ValueError):
        # A header that checked out over pixels that do not (e.g. a truncated JPEG).
        raise _not_image(upload) from None
    image.info = {}
    thumb = image.copy()
    thumb.thumbnail((thumb_side, thumb_side))
    stem = Path(Path(upload.name).name).stem[:60] or "photo"
    return PreparedPhoto(
        image=_jpeg(image, f"{stem}.jpg", 85),
        thumbnail=_jpeg(thumb, f"{stem}_thumb.jpg", 80),
        taken_at=taken_at,
        width=image.width,
        height=image.height,
    )


def private_file_response(fieldfile, *, filename=None):
    """Serve a stored private file after the caller's scope check.

    The stored bytes, not any name, decide how: a JPEG or PNG (what prepare_photo writes)
    is shown inline as that image; anything else is a download of a fixed harmless type.
    Behind nginx (PRIVATE_MEDIA_ACCEL_PREFIX set) the web server sends the bytes via
    X-Accel-Redirect; otherwise Django streams the file.
    """
    name = filename or Path(fieldfile.name).name
    AuditEntry.record(
        actor=current_request().user,
        action=AuditEntry.Action.DOWNLOAD,
        obj=fieldfile.instance,
        summary=_("Downloaded “%(name)s”") % {"name": name},
    )
    with fieldfile.storage.open(fieldfile.name, "rb") as stored:
        head = stored.read(8)
    content_type = next((t for sig, t in INLINE_SIGNATURES if head.startswith(sig)), None)
    as_attachment = content_type is None
    if as_attachment and Path(name).suffix.lower() not in DOWNLOAD_SUFFIXES:
        name += ".bin"  # e.g. a file kept raw by earlier code under a page's name
    content_type = content_type or "application/octet-stream"
    prefix = settings.PRIVATE_MEDIA_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = quote(f"{prefix.rstrip('/')}/{fieldfile.name}")
        response["Content-Disposition"] = content_disposition_header(as_attachment, name)
    else:
        response = FileResponse(
            fieldfile.open("rb"),
            as_attachment=as_attachment,
            filename=name,
            content_type=content_type,
        )
    # Private and personal: never kept by a shared cache or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than the cap, from its Content-Length and
    before anything reads the body. Signed-in people may send several photos and documents
    at once (REQUEST_MAX_MB); anonymous requests (the citizen report, sign-in) get less.
    nginx's `client_max_body_size` should match REQUEST_MAX_MB (see README)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        signed_in = request.user.is_authenticated
        limit = settings.REQUEST_MAX_MB if signed_in else settings.PUBLIC_REQUEST_MAX_MB
        if length > limit * 1024 * 1024:
            return render(request, "request_too_large.html", {"mb": limit}, status=413)
        return self.get_response(request)


# --- Form fields -------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImageFileField(forms.FileField):
    """One photo, checked by content. The widget opens the phone's camera."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and hasattr(upload, "size"):
            check_image(upload)
        return upload


class DocumentFileField(forms.FileField):
    """One evidence document or photo: cleans to what `clean_document` keeps of it."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and hasattr(upload, "size"):
            return clean_document(upload)[1]
        return upload


class WorkbookFileField(forms.FileField):
    """An Excel workbook for an import, within the workbook size cap. Whether it really is
    an .xlsx is decided from its content by the reader (campaign.workbook.open_workbook)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and hasattr(upload, "size"):
            check_size(upload, "workbook")
        return upload


class MultipleImageField(forms.FileField):
    """Several photos in one input; cleans to a list, each checked by content."""

    default_error_messages = {
        "too_many": gettext_lazy("Upload at most %(max)s photos at a time."),
    }

    def __init__(self, *args, max_files=9, capture=False, **kwargs):
        attrs = {"accept": "image/*", "multiple": True}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": self.max_files}
            )
        cleaned = [super(MultipleImageField, self).clean(f, initial) for f in files]
        errors = []
        for upload in cleaned:
            try:
                check_image(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class StagedUpload:
    """An uploaded workbook kept between its preview and its confirmation.

    The bytes live in private media under imports/, the token and any details of the
    preview in the person's session under `key`; confirming re-reads the same file, so
    what is applied is exactly what was previewed.
    """

    def __init__(self, request, key):
        self.request = request
        self.key = key
        self.info = request.session.get(key) or {}

    def _path(self, token):
        folder = Path(settings.MEDIA_ROOT) / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.key}-{token}.xlsx"

    def stage(self, data, **details):
        """Keep `data` for the confirmation step, replacing any earlier staged file."""
        self.discard()
        token = uuid.uuid4().hex
        try:
            self._path(token).write_bytes(data)
        except OSError as exc:
            raise StorageUnavailable(str(exc)) from exc
        self.info = {"token": token, **details}
        self.request.session[self.key] = self.info

    def read(self):
        """The staged bytes, or None when nothing is staged or the preview has expired."""
        token = self.info.get("token")
        path = self._path(token) if token else None
        return path.read_bytes() if path and path.exists() else None

    def discard(self):
        token = self.info.get("token")
        if token:
            self._path(token).unlink(missing_ok=True)
        self.request.session.pop(self.key, None)
        self.info = {}


def import_page(request, *, key, form, read, confirm, template, details=None):
    """The one upload → preview → confirm flow of a workbook import.

    `read(data, filename)` returns the plan (with `errors`); `confirm(plan, info)` applies it
    and returns the response to send (a redirect with its message), or raises
    `WorkbookInvalid` when the database disagrees. `details(form)` gives what else to keep
    with the staged file until the confirmation (`info`). What is confirmed is exactly the
    file that was previewed; a preview past its time asks for the file again.
    """
    from django.contrib import messages
    from django.shortcuts import redirect

    from .workbook import WorkbookInvalid

    staged = StagedUpload(request, key)
    plan = None
    if request.method == "POST" and "confirm" in request.POST:
        data = staged.read()
        if data is None:
            messages.error(request, _("The preview has expired: please upload the file again."))
            return redirect(request.path)
        info = staged.info
        plan = read(data, info.get("filename", ""))
        if not plan.errors:
            try:
                response = confirm(plan, info)
            except WorkbookInvalid as exc:
                plan.errors = exc.errors
            else:
                staged.discard()
                return response
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        plan = read(data, upload.name)
        if not plan.errors:
            staged.stage(data, filename=upload.name, **(details(form) if details else {}))
    return render(request, template, {"form": form, "plan": plan})


# --- When files are written and removed ----------------------------------------------------

logger = logging.getLogger("chuangcheng.uploads")


class StorageUnavailable(Exception):
    """The media folder cannot be written (permissions, a full disk): nothing is saved, and
    the person gets a 503 page saying so (campaign/errors.py)."""


class _WrittenFile:
    """A file written inside a transaction, and the on-commit callback that marks it kept."""

    def __init__(self, storage, name):
        # The full path, fixed now: a later file may take the same name once this one is gone.
        self.name, self.path = name, Path(storage.path(name))

        def committed():
            files = _uncommitted_files()
            if self in files:
                files.remove(self)

        self.committed = committed


_written_files = threading.local()


def _uncommitted_files():
    if not hasattr(_written_files, "files"):
        _written_files.files = []
    return _written_files.files


class TransactionalFileSystemStorage(FileSystemStorage):
    """File storage for every model: a file written in a transaction that rolls back is
    deleted when the request or job ends (`discard_rolled_back_files`); a folder that cannot
    be written raises `StorageUnavailable` before anything commits."""

    def _save(self, name, content):
        try:
            name = super()._save(name, content)
        except OSError as exc:
            logger.error("Media storage is not writable: %s", exc)
            raise StorageUnavailable(str(exc)) from exc
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.in_atomic_block:
            written = _WrittenFile(self, name)
            _uncommitted_files().append(written)
            # Django drops this callback when the transaction (or savepoint) rolls back.
            connection.on_commit(written.committed)
        return name


def discard_rolled_back_files(task=None, **_signal_kwargs):
    """Delete the files whose transaction rolled back; keep those still in an open one.

    Connected to the end of every request and every job a worker runs (campaign/apps.py).
    """
    files = _uncommitted_files()
    connection = connections[DEFAULT_DB_ALIAS]
    # A job run in-process may run inside another transaction's commit hooks, where the
    # hooks still to run (ours among them) are not in run_on_commit: the request that ran
    # it decides when it finishes.
    in_process = task is not None and task.request.is_eager
    if not files or in_process or connection.run_commit_hooks_on_set_autocommit_on:
        return
    waiting = [func for _sids, func, _robust in connection.run_on_commit]
    for written in list(files):
        if not any(func is written.committed for func in waiting):
            files.remove(written)
            try:
                written.path.unlink(missing_ok=True)
            except OSError:  # the nightly sweep (sweep_orphan_files) will try again
                logger.warning("Could not delete %s after a rollback", written.name, exc_info=True)
            else:
                logger.info("Deleted %s: the transaction that wrote it rolled back.", written.name)


def referenced_files():
    """Every stored file name a row refers to, across all models' file fields."""
    from django.apps import apps
    from django.db import models

    names = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                rows = model._base_manager.exclude(**{field.attname: ""})
                names.update(rows.values_list(field.attname, flat=True).iterator())
    return names


def sweep_orphan_files(*, older_than):
    """Delete files under MEDIA_ROOT that no row refers to and that were last written more
    than `older_than` (a timedelta) ago — left by a crash between writing and committing,
    or expired import previews. Returns how many went."""
    referenced = referenced_files()
    root = Path(settings.MEDIA_ROOT)
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        name = path.relative_to(root).as_posix()
        if path.is_file() and name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
