"""Private storage of photo files, and the signed URLs that serve them.

The storage back-end (local folder or S3/R2) comes from settings.STORAGES;
this module is the only code that talks to it. Files are reachable only
through ``issue_signed_url``, which callers use after an owner check.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.urls import reverse

_SALT = "darkroom.photos.signed-url"


def private_storage() -> Storage:
    return storages["default"]


def new_key(extension: str) -> str:
    """A random object name; two hex characters first to spread a local folder."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.{extension}"


def put(key: str, data: bytes) -> None:
    saved = private_storage().save(key, ContentFile(data))
    if saved != key:  # file_overwrite=False renamed it: a collision of 128 random bits
        raise RuntimeError("storage key collision")


def get(key: str) -> bytes:
    with private_storage().open(key, "rb") as handle:
        data: bytes = handle.read()
        return data


def delete(keys: list[str]) -> None:
    storage = private_storage()
    for key in keys:
        storage.delete(key)


class _ChunkReader(io.RawIOBase):
    """A read-only, unseekable file over an iterator of byte chunks.

    ``read(n)`` returns n bytes unless the chunks run out: boto3 takes a short
    read of a stream for its end (s3transfer sizes parts by what it reads).
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._pending = memoryview(chunk)
        return True

    def read(self, size: int | None = -1) -> bytes:
        wanted = None if size is None or size < 0 else size
        parts: list[bytes] = []
        got = 0
        while (wanted is None or got < wanted) and self._fill():
            take = len(self._pending) if wanted is None else min(wanted - got, len(self._pending))
            parts.append(bytes(self._pending[:take]))
            self._pending = self._pending[take:]
            got += take
        self.consumed += got
        return b"".join(parts)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def put_stream(key: str, chunks: Iterable[bytes]) -> int:
    """Store an object of unknown length as ``chunks`` come, never holding it whole; return its size.

    A local file is written chunk by chunk; S3 gets boto3's multipart upload,
    which buffers a few parts at a time. When ``chunks`` raises, nothing is
    left: the partial local file is deleted (S3 aborts the upload itself).
    """
    reader = _ChunkReader(chunks)
    storage = private_storage()
    try:
        if _is_s3(storage):
            _upload_s3(storage, key, reader)
        else:
            saved = storage.save(key, File(cast(IO[bytes], reader), name=key))
            if saved != key:  # file_overwrite=False renamed it: a collision of 128 random bits
                storage.delete(saved)
                raise RuntimeError("storage key collision")
    except BaseException:
        storage.delete(key)
        raise
    return reader.consumed


def _upload_s3(storage: Any, key: str, reader: _ChunkReader) -> None:
    """boto3's multipart upload of an unseekable stream, in this thread.

    S3Storage.save would run it on boto3's threads, and then the chunks (the
    caller's database reads among them) would be made on a thread Django
    does not manage. One thread uploads one part (8 MB) at a time. The name
    and write parameters (object parameters such as server-side encryption)
    come from the storage itself, as its own save() takes them.
    """
    from boto3.s3.transfer import TransferConfig
    from storages.utils import clean_name

    name = storage._normalize_name(clean_name(key))
    params = storage._get_write_parameters(name)
    storage.bucket.Object(name).upload_fileobj(reader, ExtraArgs=params, Config=TransferConfig(use_threads=False))


def open_chunks(key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """The object's bytes, ``chunk_size`` at a time, never the whole object in memory.

    Opens now, so a missing object raises FileNotFoundError here rather than
    halfway through the caller's stream. (Reading an S3File would first copy
    the whole object into memory; its boto3 body streams instead.)
    """
    handle: Any = private_storage().open(key, "rb")
    if is_s3():
        body = handle.obj.get()["Body"]  # the S3File's boto3 object: its GET body streams
        handle.close()
        return _closing(body.iter_chunks(chunk_size), body.close)
    return _closing(handle.chunks(chunk_size), handle.close)


def _closing(chunks: Iterator[bytes], close: Any) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        close()


def _is_s3(storage: Storage) -> bool:
    return storage.__class__.__module__.startswith("storages.backends.s3")


def is_s3() -> bool:
    """Whether files live in S3-compatible object storage (a third party) rather than a local folder."""
    return _is_s3(private_storage())


@dataclass(frozen=True)
class SignedTarget:
    key: str
    user_id: int
    content_type: str
    download_name: str | None


def issue_signed_url(target: SignedTarget) -> str:
    """A URL to one private object, valid for the profile's signed_url_seconds."""
    expiry = settings.PROFILE.photos.signed_url_seconds
    storage = private_storage()
    disposition = f'attachment; filename="{target.download_name}"' if target.download_name else "inline"
    if _is_s3(storage):
        params: dict[str, Any] = {
            "ResponseContentDisposition": disposition,
            "ResponseContentType": target.content_type,
        }
        url: str = storage.url(target.key, parameters=params, expire=expiry)  # type: ignore[call-arg]
        return url
    token = signing.dumps(
        {"k": target.key, "u": target.user_id, "t": target.content_type, "n": target.download_name},
        salt=_SALT,
        compress=True,
    )
    return reverse("photos:signed", args=[token])


class SignedUrlInvalid(Exception):
    pass


class SignedUrlExpired(Exception):
    pass


def read_signed_token(token: str, user_id: int | None) -> SignedTarget:
    """Check a local signed URL's signature, expiry and owner."""
    expiry = settings.PROFILE.photos.signed_url_seconds
    try:
        data = signing.loads(token, salt=_SALT, max_age=expiry)
    except signing.SignatureExpired:
        raise SignedUrlExpired from None
    except signing.BadSignature:
        raise SignedUrlInvalid from None
    if user_id is None or data.get("u") != user_id:
        raise SignedUrlInvalid
    return SignedTarget(key=data["k"], user_id=data["u"], content_type=data["t"], download_name=data["n"])
