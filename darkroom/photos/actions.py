"""State changes for photos: store an upload or a result, delete photos.

Storage is written before the database row and removed again if the row
cannot be written, so a failure never leaves a row without files or files
without a row.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from typing import IO

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.models import Photo
from darkroom.photos.validation import CleanImage, validate_upload

log = logging.getLogger(__name__)

THUMB_EDGE = 400  # gallery cells are ~200 CSS px: sharp on 2× screens
PREVIEW_EDGE = 1600  # the photo page; the original is only fetched to download
_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
Within = Callable[[Photo], None]  # runs inside the transaction that creates a stored photo's row


class AlreadyUploaded(Exception):
    """The user already has this exact file; it is offered instead of stored twice."""

    def __init__(self, photo: Photo) -> None:
        super().__init__("You already uploaded this photo.")
        self.photo = photo


# EU AI Act art. 50(2): AI-generated images carry a machine-readable mark. IPTC's
# DigitalSourceType "trainedAlgorithmicMedia", in an XMP packet, is the one C2PA and
# the major platforms read.
AI_GENERATED_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _encode(image: Image.Image, fmt: str, xmp: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    extra = {"xmp": xmp} if xmp else {}
    if fmt == "JPEG":
        image.save(buffer, "JPEG", quality=92, subsampling="4:4:4", **extra)
    else:
        image.save(buffer, "PNG", compress_level=6, **extra)
    return buffer.getvalue()


def _shrunk(image: Image.Image, edge: int) -> Image.Image:
    """A copy whose long side is at most ``edge`` (resize makes the copy: no full-size one first)."""
    scale = min(1.0, edge / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reducing_gap: an integer pre-shrink before the Lanczos pass where the
    # ratio allows it (the 400 px thumbnail of a 12 MP photo, not the preview).
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if size != image.size else image


def _webp(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # method=2: half the encode time of method=4 for a file 1% larger
    # (bench/README.md, the skeleton benchmark's profile of a 12 MP upload).
    image.save(buffer, "WEBP", quality=quality, method=2)
    return buffer.getvalue()


def _blurhash(image: Image.Image) -> str:
    import blurhash

    tiny = image.copy()  # called with the small preview, never the full photo
    tiny.thumbnail((32, 32), Image.Resampling.BILINEAR)
    x_components = 4 if tiny.width >= tiny.height else 3
    y_components = 7 - x_components
    encoded: str = blurhash.encode(
        np.asarray(tiny.convert("RGB")), components_x=x_components, components_y=y_components
    )
    return encoded


def digest(stream: IO[bytes]) -> str:
    """SHA-256 of a stream, read in chunks (an upload may be a large temporary file)."""
    hasher = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        hasher.update(chunk)
    stream.seek(0)
    return hasher.hexdigest()


def _store(
    owner: User,
    clean: CleanImage,
    kind: Photo.Kind,
    sha256: str | None = None,
    xmp: bytes | None = None,
    within: Within | None = None,
) -> Photo:
    body = _encode(clean.image, clean.format, xmp)
    extension = "png" if clean.format == "PNG" else "jpg"
    return _store_body(
        owner, body, extension, _CONTENT_TYPES[clean.format], clean.image, kind, clean.source_format, sha256, within
    )


def _store_body(
    owner: User,
    body: bytes,
    extension: str,
    content_type: str,
    picture: Image.Image,
    kind: Photo.Kind,
    source_format: str,
    sha256: str | None = None,
    within: Within | None = None,
) -> Photo:
    """Store ``body`` with a preview and thumbnail made from ``picture`` (the photo, or a video's poster).

    ``within`` runs in the transaction that creates the row: a job links its
    result there, so no crash can leave a result that belongs to nothing. If
    it raises, the row is not created and the objects are deleted.
    """
    # The thumbnail and the blurhash come from the preview: the same look,
    # without a second pass over the full-size photo.
    preview_image = _shrunk(picture, PREVIEW_EDGE)
    preview = _webp(preview_image, 82)
    thumb = _webp(_shrunk(preview_image, THUMB_EDGE), 75)
    file_key, preview_key, thumb_key = storage.new_key(extension), storage.new_key("webp"), storage.new_key("webp")
    written: list[str] = []
    try:
        for key, data in ((file_key, body), (preview_key, preview), (thumb_key, thumb)):
            storage.put(key, data)
            written.append(key)
        with transaction.atomic():
            photo = Photo.objects.create(
                owner=owner,
                kind=kind,
                file_key=file_key,
                preview_key=preview_key,
                thumb_key=thumb_key,
                content_type=content_type,
                source_format=source_format,
                width=picture.width,
                height=picture.height,
                byte_size=len(body),
                sha256=sha256 or hashlib.sha256(body).hexdigest(),
                blurhash=_blurhash(preview_image),
            )
            if within is not None:
                within(photo)
            return photo
    except BaseException:
        storage.delete(written)
        raise


def do_upload_photo(owner: User, stream: IO[bytes], size: int) -> Photo:
    """Validate an upload and store it.

    Raises UploadRefused (with the reason and HTTP status) or AlreadyUploaded
    (with the photo the user already has from the same bytes).
    """
    sha256 = digest(stream)
    existing = Photo.objects.filter(owner=owner, kind=Photo.Kind.UPLOAD, sha256=sha256).first()
    if existing is not None:
        raise AlreadyUploaded(existing)
    limits = settings.PROFILE.photos
    clean = validate_upload(
        stream, size, max_bytes=limits.max_upload_mb * 1_000_000, max_pixels=limits.max_megapixels * 1_000_000
    )
    return _store(owner, clean, Photo.Kind.UPLOAD, sha256)


def do_store_result(
    owner: User, image: Image.Image, fmt: str = "JPEG", *, ai_generated: bool = False, within: Within | None = None
) -> Photo:
    """Store an image a job produced, as a result photo of ``owner``; AI-made ones carry the XMP mark."""
    clean = CleanImage(image=image.convert("RGB"), format=fmt, source_format=fmt)
    return _store(owner, clean, Photo.Kind.RESULT, xmp=AI_GENERATED_XMP if ai_generated else None, within=within)


def do_store_video_result(owner: User, mp4: bytes, poster: Image.Image, *, within: Within | None = None) -> Photo:
    """Store an MP4 a job produced; its gallery picture and preview come from ``poster`` (a frame)."""
    return _store_body(owner, mp4, "mp4", "video/mp4", poster.convert("RGB"), Photo.Kind.RESULT, "MP4", within=within)


def do_mark_generated(photo: Photo) -> None:
    """Record that ``photo`` was just used for a generation (starts its retention clock)."""
    Photo.objects.filter(pk=photo.pk).update(last_generation_at=timezone.now())


def do_delete_photos(photos: Iterable[Photo]) -> int:
    """Delete rows, then (once committed) every stored object of each photo."""
    photos = list(photos)
    keys = [key for photo in photos for key in photo.storage_keys]
    with transaction.atomic():
        deleted, _ = Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
        transaction.on_commit(lambda: storage.delete(keys))
    return len(photos) if deleted else 0


def do_delete_photo(photo: Photo) -> None:
    """Delete one photo and all its stored objects."""
    do_delete_photos([photo])


def load_image(photo: Photo) -> Image.Image:
    """Decode a stored photo (already validated and clean) for processing."""
    image = Image.open(io.BytesIO(storage.get(photo.file_key)))
    image.load()
    return image.convert("RGB")
