"""Uploads: formats, colour, metadata, limits and refusals (DESIGN.md invariant 6)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import blurhash
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image, ImageCms

from darkroom.accounts.models import User
from darkroom.photos import storage
from darkroom.photos.models import Photo
from tests.conftest import make_photo, stored_objects

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>SECRET-XMP-CREATOR</rdf:Description></x:xmpmeta>'


def _upload(client: Client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> object:
    return client.post("/photos/upload/", {"photo": SimpleUploadedFile(name, data, content_type=content_type)})


def _spy_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    return exif


def _tagged(fmt: str, **extra: object) -> bytes:
    image = Image.open(io.BytesIO(make_photo(320, 240)))
    buffer = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import HeifImagePlugin  # noqa: F401

    image.save(buffer, fmt, exif=_spy_exif().tobytes(), **extra)
    return buffer.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


def _encode(image: Image.Image, fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def _stored_image(photo: Photo, which: str = "file_key") -> Image.Image:
    return Image.open(io.BytesIO(storage.get(getattr(photo, which))))


def _centre(image: Image.Image) -> tuple[int, ...]:
    pixel = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    return pixel


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def test_it_stores_a_jpeg_privately_with_its_derivatives(alice_client: Client, alice: User) -> None:
    jpeg = make_photo(2000, 1500)
    response = _upload(alice_client, jpeg)
    photo = Photo.objects.get(owner=alice)
    assert response.status_code == 302
    assert response["Location"] == f"/photos/{photo.public_id}/"
    assert (photo.width, photo.height, photo.content_type, photo.source_format) == (2000, 1500, "image/jpeg", "JPEG")
    assert stored_objects() == sorted([photo.file_key, photo.preview_key, photo.thumb_key])
    assert "alice" not in photo.file_key
    assert (_stored_image(photo, "thumb_key").format, _stored_image(photo, "thumb_key").size) == ("WEBP", (400, 300))
    assert _stored_image(photo, "preview_key").size == (1600, 1200)
    assert photo.sha256 == hashlib.sha256(jpeg).hexdigest()
    assert blurhash.components(photo.blurhash) == (4, 3)


@pytest.mark.parametrize(
    ("fmt", "save", "stored_as"),
    [
        ("PNG", {}, "image/png"),
        ("WEBP", {"quality": 90}, "image/jpeg"),
        ("WEBP", {"lossless": True}, "image/png"),
        ("HEIF", {"quality": 90}, "image/jpeg"),
    ],
    ids=["png", "webp-lossy", "webp-lossless", "heic"],
)
def test_it_accepts_every_phone_format(
    alice_client: Client, alice: User, fmt: str, save: dict[str, object], stored_as: str
) -> None:
    if fmt == "HEIF":
        from pillow_heif import HeifImagePlugin  # noqa: F401
    data = _encode(Image.open(io.BytesIO(make_photo(600, 400))), fmt, **save)
    response = _upload(alice_client, data, name="IMG_0001.bin", content_type="application/octet-stream")
    assert response.status_code == 302
    photo = Photo.objects.get(owner=alice)
    assert (photo.width, photo.height, photo.content_type) == (600, 400, stored_as)


def test_it_decides_the_type_by_content_not_by_name(alice_client: Client, alice: User) -> None:
    response = _upload(alice_client, make_photo(fmt="PNG"), name="holiday.jpg", content_type="image/jpeg")
    assert response.status_code == 302
    assert Photo.objects.get(owner=alice).source_format == "PNG"


@pytest.mark.parametrize(
    ("fmt", "extra"), [("JPEG", {"xmp": XMP}), ("WEBP", {}), ("HEIF", {})], ids=["jpeg", "webp", "heic"]
)
def test_it_strips_every_tag_and_applies_orientation(
    alice_client: Client, alice: User, fmt: str, extra: dict[str, object]
) -> None:
    _upload(alice_client, _tagged(fmt, **extra))
    photo = Photo.objects.get(owner=alice)
    for key in photo.storage_keys:
        stored = storage.get(key)
        for secret in (b"SpyCam", b"SERIAL-123456", b"SECRET-XMP", b"GPS"):
            assert secret not in stored, f"{secret!r} left in {key}"
        image = Image.open(io.BytesIO(stored))
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    assert (photo.width, photo.height) == (240, 320)  # turned upright


def test_it_takes_the_first_frame_of_an_animation(alice_client: Client, alice: User) -> None:
    frames = [Image.new("RGB", (200, 100), colour) for colour in [(250, 0, 0), (0, 0, 250)]]
    data = _encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert _upload(alice_client, data, name="anim.png").status_code == 302
    assert _close(_centre(_stored_image(Photo.objects.get(owner=alice))), (250, 0, 0))


def test_it_converts_cmyk_to_the_same_colour(alice_client: Client, alice: User) -> None:
    rgb = Image.new("RGB", (200, 100), (40, 120, 200))
    _upload(alice_client, _encode(rgb.convert("CMYK"), "JPEG", quality=95))
    stored = _stored_image(Photo.objects.get(owner=alice))
    assert stored.mode == "RGB"
    assert _close(_centre(stored), (40, 120, 200))


def test_it_scales_sixteen_bit_grey_instead_of_clipping_it(alice_client: Client, alice: User) -> None:
    grey = Image.fromarray(np.full((100, 200), 32768, dtype=np.uint16))  # mid grey in 16 bits
    _upload(alice_client, _encode(grey, "PNG"), name="scan.png")
    assert _close(_centre(_stored_image(Photo.objects.get(owner=alice))), (128, 128, 128), 1)


def test_it_puts_transparency_on_white(alice_client: Client, alice: User) -> None:
    palette = Image.new("P", (200, 100), 0)
    palette.putpalette([10, 200, 10] + [0, 0, 0] * 255)
    palette.info["transparency"] = 0
    _upload(alice_client, _encode(palette, "PNG", transparency=0), name="logo.png")
    assert _close(_centre(_stored_image(Photo.objects.get(owner=alice))), (255, 255, 255), 0)


def test_it_converts_through_an_embedded_icc_profile(alice_client: Client, alice: User) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = Image.new("RGB", (200, 100), (200, 90, 30))
    _upload(alice_client, _encode(image, "PNG", icc_profile=srgb), name="with-profile.png")
    stored = _stored_image(Photo.objects.get(owner=alice))
    assert "icc_profile" not in stored.info
    assert _close(_centre(stored), (200, 90, 30), 2)


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"", 400, "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", 415, "not a photo we can read"),
        (b"GIF89a" + b"\x00" * 100, 415, "not a photo we can read"),
        (make_photo()[:2000], 422, "damaged or incomplete"),
        (_png_header_claiming(10_000, 10_000), 413, "the limit is 50 megapixels"),
        (_png_header_claiming(100_000, 100_000), 413, "the limit is 50 megapixels"),
    ],
    ids=["empty", "svg-renamed", "gif", "truncated-jpeg", "png-claiming-100mp", "png-claiming-10gp"],
)
def test_it_refuses_bad_uploads_with_a_reason_and_stores_nothing(
    alice_client: Client, data: bytes, status: int, reason: str
) -> None:
    response = _upload(alice_client, data)
    assert response.status_code == status
    assert reason in response.content.decode()
    assert not Photo.objects.exists()
    assert stored_objects() == []


def test_it_refuses_a_file_over_the_byte_limit_while_it_streams(alice_client: Client, alice: User) -> None:
    big = make_photo(64, 64) + b"\x00" * (26 * 1_000_000)
    small = make_photo(64, 64)
    files = [SimpleUploadedFile("huge.jpg", big), SimpleUploadedFile("small.jpg", small)]
    response = alice_client.post("/photos/upload/", {"photo": files})
    page = response.content.decode()
    assert "huge.jpg" in page
    assert "larger than the 25 MB limit" in page
    assert Photo.objects.filter(owner=alice).count() == 1  # the other file still arrived


def test_it_answers_413_without_reading_a_body_declared_too_large(alice: User) -> None:
    from django.test import RequestFactory

    from darkroom.photos.uploads import LimitedUploadHandler, refusals_of

    class Unreadable:
        def read(self, *args: object) -> bytes:
            raise AssertionError("the body was read")

    request = RequestFactory().post("/api/v1/photos", data=b"--x--", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = str(40 * 1_000_000)
    request._stream = Unreadable()  # type: ignore[attr-defined]
    request.upload_handlers = [LimitedUploadHandler(request)]
    assert len(request.FILES) == 0
    assert refusals_of(request)[0].reason == "The file is 40.0 MB; the limit is 25 MB."


def test_the_api_answers_413_for_a_declared_oversize_body(client: Client, alice: User) -> None:
    client.force_login(alice)
    body = b"--x\r\nContent-Disposition: form-data; name=file; filename=a.jpg\r\n\r\n" + b"\0" * 100 + b"\r\n--x--\r\n"
    response = client.generic(
        "POST", "/api/v1/photos", body, content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="40000000"
    )
    assert response.status_code == 413
    assert "the limit is 25 MB" in response.json()["detail"]


def test_a_form_post_refused_for_size_says_so_instead_of_a_csrf_error(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/photos/upload/")  # the CSRF cookie a browser would have
    body = b"--x\r\nContent-Disposition: form-data; name=photo; filename=a.jpg\r\n\r\n" + b"\0" * 10 + b"\r\n--x--\r\n"
    response = client.generic(
        "POST", "/photos/upload/", body, content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="900000000"
    )
    assert response.status_code == 413
    assert "limit is 25 MB" in response.content.decode()


def test_it_offers_the_photo_already_uploaded_instead_of_storing_it_twice(alice_client: Client, alice: User) -> None:
    jpeg = make_photo()
    _upload(alice_client, jpeg)
    response = _upload(alice_client, jpeg, name="again.jpg")
    photo = Photo.objects.get(owner=alice)
    assert response.status_code == 200
    assert f"/photos/{photo.public_id}/" in response.content.decode()
    assert "already in your gallery" in response.content.decode()
    assert len(stored_objects()) == 3


def test_the_same_file_from_two_people_is_two_photos(client: Client, alice: User, bob: User) -> None:
    jpeg = make_photo()
    for user in (alice, bob):
        client.force_login(user)
        assert _upload(client, jpeg).status_code == 302
    assert Photo.objects.count() == 2


def test_it_reports_each_refused_file_and_keeps_the_good_ones(alice_client: Client, alice: User, jpeg: bytes) -> None:
    files = [
        SimpleUploadedFile("good.jpg", jpeg, content_type="image/jpeg"),
        SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
    ]
    response = alice_client.post("/photos/upload/", {"photo": files})
    assert response.status_code == 200
    assert "notes.txt" in response.content.decode()
    assert Photo.objects.filter(owner=alice).count() == 1


def test_it_asks_for_a_file_when_none_was_sent(alice_client: Client) -> None:
    response = alice_client.post("/photos/upload/", {})
    assert response.status_code == 400
    assert "Choose a photo" in response.content.decode()


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
