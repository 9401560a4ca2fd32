from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.models import Photo
from tests.conftest import make_photo, stored_objects


def _upload(client: Client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> object:
    return client.post("/photos/upload/", {"photo": SimpleUploadedFile(name, data, content_type=content_type)})


def _exif_with_gps() -> bytes:
    image = Image.open(io.BytesIO(make_photo(320, 240)))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_it_stores_a_jpeg_privately_with_a_thumbnail(alice_client: Client, alice: User, jpeg: bytes) -> None:
    response = _upload(alice_client, jpeg)
    photo = Photo.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/photos/{photo.public_id}/"
    assert (photo.width, photo.height, photo.content_type) == (640, 480, "image/jpeg")
    assert stored_objects() == sorted([photo.file_key, photo.thumb_key])
    assert "alice" not in photo.file_key
    assert "photo" not in photo.file_key
    thumb = Image.open(io.BytesIO(storage.get(photo.thumb_key)))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 480


def test_it_decides_the_type_by_content_not_by_name(alice_client: Client, alice: User) -> None:
    response = _upload(alice_client, make_photo(fmt="PNG"), name="holiday.jpg", content_type="image/jpeg")
    assert response.status_code == 302
    assert Photo.objects.get(owner=alice).content_type == "image/png"


def test_it_strips_exif_and_gps_and_applies_orientation(alice_client: Client, alice: User) -> None:
    _upload(alice_client, _exif_with_gps())
    photo = Photo.objects.get(owner=alice)
    stored = storage.get(photo.file_key)
    assert b"SpyCam" not in stored
    assert b"SERIAL-123456" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif()
    assert "exif" not in image.info
    assert image.size == (240, 320)  # rotated upright


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", 400, "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 415, "not a JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 100, 415, "not a JPEG or PNG"),
        (make_photo()[:2000], 422, "damaged or incomplete"),
        (_png_header_claiming(10_000, 10_000), 413, "the limit is 50 megapixels"),
    ],
    ids=["empty", "svg-renamed", "gif", "truncated-jpeg", "png-claiming-100mp"],
)
def test_it_refuses_bad_uploads_with_a_reason_and_stores_nothing(
    alice_client: Client, data: bytes, status: int, reason: str
) -> None:
    response = _upload(alice_client, data)
    assert response.status_code == status
    assert reason in response.content.decode()
    assert not Photo.objects.exists()
    assert stored_objects() == []


def test_it_refuses_a_file_over_the_byte_limit(alice_client: Client, settings: object) -> None:
    big = make_photo(64, 64) + b"\x00" * (26 * 1_000_000)
    response = _upload(alice_client, big)
    assert response.status_code == 413
    assert "the limit is 25 MB" in response.content.decode()
    assert stored_objects() == []


def test_it_reports_each_refused_file_and_keeps_the_good_ones(alice_client: Client, alice: User, jpeg: bytes) -> None:
    files = [
        SimpleUploadedFile("good.jpg", jpeg, content_type="image/jpeg"),
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
    ]
    response = alice_client.post("/photos/upload/", {"photo": files})
    assert response.status_code == 200
    assert "notes.txt" in response.content.decode()
    assert Photo.objects.filter(owner=alice).count() == 1


def test_it_leaves_no_file_behind_when_the_database_write_fails(
    alice_client: Client, jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_create(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Photo.objects, "create", broken_create)
    alice_client.raise_request_exception = False
    response = _upload(alice_client, jpeg)
    assert response.status_code == 500
    assert stored_objects() == []


def test_it_requires_signing_in(client: Client, jpeg: bytes) -> None:
    response = _upload(client, jpeg)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
