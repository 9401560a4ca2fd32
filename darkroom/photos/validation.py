"""Upload validation: every upload is hostile until proven otherwise.

Order matters: the cheap checks (size, magic bytes, header dimensions) run
before any pixel is decoded, so a decompression bomb or a 100 MP PNG of a few
kilobytes is refused without spending memory on it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Magic numbers of the formats we accept; the file name and the client's
# Content-Type are never consulted.
_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}


class UploadRefused(Exception):
    """An upload that cannot be accepted; ``status`` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    """A decoded, upright, 8-bit sRGB image with no metadata left on it."""

    image: Image.Image
    format: str  # "JPEG" or "PNG": what we store it as


def sniff_format(head: bytes) -> str | None:
    """The accepted format named by the first bytes, or None."""
    for signature, name in _SIGNATURES.items():
        if head.startswith(signature):
            return name
    return None


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGB" if image.mode != "RGBA" else "RGBA"
        converted = ImageCms.profileToProfile(image.convert(mode), source, target, outputMode=mode)
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken embedded profile: keep the pixels as they are rather
        # than refusing a photo people can see fine elsewhere.
        return image


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def validate_upload(stream: IO[bytes], size: int, *, max_bytes: int, max_pixels: int) -> CleanImage:
    """Check and decode an upload; raise UploadRefused with a reason a person can act on."""
    if size == 0:
        raise UploadRefused("The file is empty.", status=400)
    if size > max_bytes:
        raise UploadRefused(
            f"The file is {size / 1_000_000:.1f} MB; the limit is {max_bytes // 1_000_000} MB.", status=413
        )
    head = stream.read(16)
    stream.seek(0)
    kind = sniff_format(head)
    if kind is None:
        raise UploadRefused("This is not a JPEG or PNG image. Upload a photo in one of those formats.", status=415)

    limit = f"the limit is {max_pixels / 1e6:.0f} megapixels"
    try:
        with warnings.catch_warnings():
            # Opening reads only the header; our own pixel limit, stricter
            # than Pillow's, is checked before a single pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream, formats=[kind])
        width, height = image.size
        if width * height > max_pixels:
            raise UploadRefused(
                f"The image is {width}×{height} ({width * height / 1e6:.0f} megapixels); {limit}.", status=413
            )
        with warnings.catch_warnings():
            # Pillow only *warns* between its limit and twice it; here a warning is a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(f"The image has too many pixels; {limit}.", status=413) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UploadRefused("The image is damaged or incomplete; try exporting it again.", status=422) from None

    upright = ImageOps.exif_transpose(image)
    if upright is None:  # pragma: no cover - only when in_place=True
        upright = image
    clean = _flatten(_to_srgb(upright))
    # A fresh image object carries no info dict: EXIF, GPS, XMP, ICC and
    # comments are all gone before anything is stored.
    pixels = Image.frombytes("RGB", clean.size, clean.tobytes())
    return CleanImage(image=pixels, format=kind)
