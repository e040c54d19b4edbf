"""Uploaded files: checking them by content, preparing photos, serving them privately,
and when they are written and removed.

Photos and evidence are private: each app serves them through its own view after a
scope check, with `private_file_response`. Nothing here trusts a file's name or the
browser's content type. Every model's files go through `TransactionalFileSystemStorage`
(STORAGES["default"]): a file lives only if the transaction that wrote it commits.
"""

import datetime
import io
import logging
import mimetypes
import threading
import time
import uuid
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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Decompression bombs: refuse images with more pixels than a 60-megapixel camera makes.
Image.MAX_IMAGE_PIXELS = 60_000_000
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}

# Evidence documents recognised by their first bytes, not their names.
DOCUMENT_SIGNATURES = [
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "office"),  # docx, xlsx, pptx (and other zip files, checked below)
    (b"\xd0\xcf\x11\xe0", "office-legacy"),  # doc, xls, ppt
]
DOCUMENT_EXTENSIONS = {".pdf", ".docx", ".xlsx", ".pptx", ".doc", ".xls", ".ppt", ".wps", ".et"}


def _check_size(upload):
    limit = settings.UPLOAD_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.")
            % {"name": upload.name, "mb": settings.UPLOAD_MAX_MB},
            code="too_large",
        )


def check_image(upload):
    """Refuse files that are not images by their content, or are too large. Returns the format."""
    _check_size(upload)
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
            image_format = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            _("“%(name)s” is not a photo: upload a JPEG, PNG or WebP image.")
            % {"name": upload.name},
            code="not_image",
        ) from None
    finally:
        upload.seek(0)
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(
            _("“%(name)s” is not a photo: upload a JPEG, PNG or WebP image.")
            % {"name": upload.name},
            code="not_image",
        )
    return image_format


def check_document(upload):
    """Accept images and office documents (PDF, Word, Excel, PowerPoint, WPS) by content."""
    _check_size(upload)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    known = any(head.startswith(sig) for sig, _kind in DOCUMENT_SIGNATURES)
    if known and Path(upload.name).suffix.lower() in DOCUMENT_EXTENSIONS:
        return "document"
    try:
        check_image(upload)
        return "image"
    except ValidationError:
        pass
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


def prepare_photo(upload, *, max_side=2048, thumb_side=360):
    """Check an uploaded photo, keep its shooting time, and return a resized JPEG and thumbnail."""
    check_image(upload)
    upload.seek(0)
    with Image.open(upload) as original:
        taken_at = _taken_at(original)
        image = ImageOps.exif_transpose(original).convert("RGB")
    image.thumbnail((max_side, max_side))
    stem = Path(upload.name).stem[:60] or "photo"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, optimize=True)
    thumb = image.copy()
    thumb.thumbnail((thumb_side, thumb_side))
    thumb_buffer = io.BytesIO()
    thumb.save(thumb_buffer, "JPEG", quality=80)
    return PreparedPhoto(
        image=ContentFile(buffer.getvalue(), name=f"{stem}.jpg"),
        thumbnail=ContentFile(thumb_buffer.getvalue(), name=f"{stem}_thumb.jpg"),
        taken_at=taken_at,
        width=image.width,
        height=image.height,
    )


def private_file_response(fieldfile, *, as_attachment=False, filename=None):
    """Serve a stored private file after the caller's scope check.

    Behind nginx (PRIVATE_MEDIA_ACCEL_PREFIX set) the web server sends the bytes via
    X-Accel-Redirect; otherwise Django streams the file.
    """
    name = filename or Path(fieldfile.name).name
    prefix = settings.PRIVATE_MEDIA_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=mimetypes.guess_type(name)[0] or "")
        response["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{fieldfile.name}"
        disposition = "attachment" if as_attachment else "inline"
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    else:
        response = FileResponse(fieldfile.open("rb"), as_attachment=as_attachment, filename=name)
    # Private: never stored by shared caches.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
    """One evidence document or photo, checked by content."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and hasattr(upload, "size"):
            check_document(upload)
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


# --- When files are written and removed ----------------------------------------------------

logger = logging.getLogger("chuangcheng.uploads")


class StorageUnavailable(Exception):
    """The media folder cannot be written (permissions, a full disk): nothing is saved, and
    the person gets a 503 page saying so (campaign/errors.py)."""


class _WrittenFile:
    """A file written inside a transaction; its own on-commit callback marks it kept."""

    def __init__(self, storage, name):
        self.storage, self.name = storage, name

    def __call__(self):
        _uncommitted_files().remove(self)


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
            connection.on_commit(written, robust=True)
        return name


def discard_rolled_back_files(**_signal_kwargs):
    """Delete the files whose transaction rolled back; keep those still in an open one.

    Connected to the end of every request and job (campaign/apps.py).
    """
    files = _uncommitted_files()
    if not files:
        return
    waiting = [func for _sids, func, _robust in connections[DEFAULT_DB_ALIAS].run_on_commit]
    for written in list(files):
        if not any(func is written for func in waiting):
            files.remove(written)
            written.storage.delete(written.name)
            logger.info("Deleted %s: the transaction that wrote it rolled back.", written.name)


def sweep_orphan_files(*, older_than):
    """Delete files under MEDIA_ROOT that no row refers to and that were last written more
    than `older_than` (a timedelta) ago — left by a crash between writing and committing,
    or expired import previews. Returns how many went."""
    from django.apps import apps
    from django.db import models

    referenced = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                names = model._base_manager.exclude(**{field.attname: ""}).values_list(
                    field.attname, flat=True
                )
                referenced.update(names.iterator())
    root = Path(settings.MEDIA_ROOT)
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in sorted(root.rglob("*")) if root.is_dir() else []:
        name = path.relative_to(root).as_posix()
        if path.is_file() and name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
