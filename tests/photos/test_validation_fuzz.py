"""Hostile bytes against the validator: only clean refusals, never a crash.

A corpus of real edge cases, then Hypothesis mutating valid photos of every
accepted format (flipped bytes, cut short, junk appended or prepended).
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from darkroom.photos.validation import CleanImage, UploadRefused, validate_upload
from tests.conftest import make_photo

LIMITS = {"max_bytes": 25_000_000, "max_pixels": 50_000_000}


def _check(data: bytes) -> CleanImage | UploadRefused:
    """What the validator does with ``data``: a clean image or a 4xx refusal, nothing else."""
    try:
        clean = validate_upload(io.BytesIO(data), len(data), **LIMITS)
    except UploadRefused as refusal:
        outcome = refusal
    else:
        outcome = None
    if outcome is not None:
        assert 400 <= outcome.status < 500
        assert outcome.reason.endswith(".")
        return outcome
    assert clean.image.mode == "RGB"
    assert clean.image.width * clean.image.height <= LIMITS["max_pixels"]
    assert not clean.image.info
    return clean


def _png(width: int, height: int, payload: bytes = b"\x00" * 100) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(payload)) + chunk(b"IEND", b"")


def _jpeg_with_exif_of(size: int) -> bytes:
    jpeg = make_photo(64, 64, seed=7)
    app1 = b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00" + b"\x00" * (size - 14)
    segment = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return jpeg[:2] + segment + jpeg[2:]


def _bomb() -> bytes:
    """A PNG of 12,000 × 12,000 black pixels (144 MP) that compresses to a few hundred KB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 12_000 * 3)
    idat = b"".join(compressor.compress(row) for _ in range(12_000)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 12_000, 12_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


CORPUS = {
    "zero-bytes": (b"", 400),
    "one-byte": (b"\xff", 415),
    "html-renamed": (b"<!doctype html><html><script>alert(1)</script></html>", 415),
    "svg-renamed": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', 415),
    "jpeg-magic-then-html": (b"\xff\xd8\xff\xe0<html><script>alert(1)</script>", 422),
    "png-claiming-100mp-in-12kb": (_png(10_000, 10_000, b"\x00" * 12_000), 413),
    "png-claiming-4-billion-pixels": (_png(65_535, 65_535), 413),
    "png-zero-width": (_png(0, 10), 422),
    "decompression-bomb": (_bomb(), 413),
    "truncated-jpeg-header": (make_photo(seed=1)[:200], 422),
    "truncated-jpeg-half": (make_photo(seed=2)[:9000], 422),
    "truncated-png": (make_photo(fmt="PNG", seed=3)[:-40], 422),
    "heif-brand-but-junk": (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200, 422),
    "webp-header-but-junk": (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 50, 422),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_corpus_is_refused_cleanly(name: str) -> None:
    data, status = CORPUS[name]
    outcome = _check(data)
    assert isinstance(outcome, UploadRefused), f"{name} was accepted"
    assert outcome.status == status


def test_pillows_bomb_warning_is_a_refusal_even_under_a_generous_limit() -> None:
    # 95 MP: over Pillow's limit (89 MP) but under twice it, where Pillow only warns.
    data = _png(9_750, 9_750)
    with pytest.raises(UploadRefused) as refused:
        validate_upload(io.BytesIO(data), len(data), max_bytes=25_000_000, max_pixels=200_000_000)
    assert refused.value.status == 413


def test_a_huge_exif_block_is_accepted_and_dropped() -> None:
    outcome = _check(_jpeg_with_exif_of(60_000))
    assert isinstance(outcome, CleanImage)


def test_a_jpeg_with_a_zip_appended_keeps_only_the_picture() -> None:
    polyglot = make_photo(seed=4) + b"PK\x03\x04" + b"secret.txt" + b"\x00" * 100
    outcome = _check(polyglot)
    assert isinstance(outcome, CleanImage)
    stored = io.BytesIO()
    outcome.image.save(stored, "JPEG")
    assert b"secret.txt" not in stored.getvalue()


def _seed(fmt: str) -> bytes:
    image = Image.open(io.BytesIO(make_photo(48, 32, seed=5)))
    buffer = io.BytesIO()
    if fmt == "HEIF":
        from pillow_heif import HeifImagePlugin  # noqa: F401
    image.save(buffer, fmt)
    return buffer.getvalue()


SEEDS = [_seed(fmt) for fmt in ("JPEG", "PNG", "WEBP", "HEIF")]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    prefix = draw(st.binary(max_size=8))
    suffix = draw(st.binary(max_size=64))
    return (prefix if draw(st.booleans()) else b"") + bytes(data[:cut]) + suffix


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_photos_are_accepted_or_refused_never_crash(data: bytes) -> None:
    _check(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_are_refused_cleanly(data: bytes) -> None:
    _check(data)
