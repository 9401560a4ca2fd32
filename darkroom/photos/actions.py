"""State changes for photos: store an upload or a result, delete a photo.

Storage is written before the database row and removed again if the row
cannot be written, so a failure never leaves a row without files or files
without a row.
"""

from __future__ import annotations

import hashlib
import io
import logging
from typing import IO

from django.conf import settings
from django.db import transaction
from PIL import Image

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.models import Photo
from darkroom.photos.validation import CleanImage, validate_upload

log = logging.getLogger(__name__)

THUMB_EDGE = 480
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=92, optimize=True, subsampling="4:4:4")
    else:
        image.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    thumb.save(buffer, "WEBP", quality=80, method=4)
    return buffer.getvalue()


def _store(owner: User, clean: CleanImage, kind: Photo.Kind) -> Photo:
    body = _encode(clean.image, clean.format)
    thumb = _thumbnail(clean.image)
    extension = "png" if clean.format == "PNG" else "jpg"
    file_key, thumb_key = storage.new_key(extension), storage.new_key("webp")
    written: list[str] = []
    try:
        storage.put(file_key, body)
        written.append(file_key)
        storage.put(thumb_key, thumb)
        written.append(thumb_key)
        with transaction.atomic():
            return Photo.objects.create(
                owner=owner,
                kind=kind,
                file_key=file_key,
                thumb_key=thumb_key,
                content_type=_CONTENT_TYPES[clean.format],
                width=clean.image.width,
                height=clean.image.height,
                byte_size=len(body),
                sha256=hashlib.sha256(body).hexdigest(),
            )
    except BaseException:
        storage.delete(written)
        raise


def do_upload_photo(owner: User, stream: IO[bytes], size: int) -> Photo:
    """Validate an upload and store it; raises UploadRefused with a reason."""
    limits = settings.PROFILE.photos
    clean = validate_upload(
        stream, size, max_bytes=limits.max_upload_mb * 1_000_000, max_pixels=limits.max_megapixels * 1_000_000
    )
    return _store(owner, clean, Photo.Kind.UPLOAD)


def do_store_result(owner: User, image: Image.Image, fmt: str = "JPEG") -> Photo:
    """Store an image a job produced, as a result photo of ``owner``."""
    return _store(owner, CleanImage(image=image.convert("RGB"), format=fmt), Photo.Kind.RESULT)


def do_delete_photo(photo: Photo) -> None:
    """Delete the row, then (once committed) every stored object of the photo."""
    keys = photo.storage_keys
    with transaction.atomic():
        photo.delete()
        transaction.on_commit(lambda: storage.delete(keys))


def load_image(photo: Photo) -> Image.Image:
    """Decode a stored photo (already validated and clean) for processing."""
    image = Image.open(io.BytesIO(storage.get(photo.file_key)))
    image.load()
    return image.convert("RGB")
