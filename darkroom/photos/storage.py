"""Private storage of photo files, and the signed URLs that serve them.

The storage back-end (local folder or S3/R2) comes from settings.STORAGES;
this module is the only code that talks to it. Files are reachable only
through ``issue_signed_url``, which callers use after an owner check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
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


def _is_s3(storage: Storage) -> bool:
    return storage.__class__.__module__.startswith("storages.backends.s3")


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
