"""Upload validation: every upload is hostile until proven otherwise.

Order matters: the cheap checks (size, magic bytes, header dimensions) run
before any pixel is decoded, so a decompression bomb or a 100 MP PNG of a few
kilobytes is refused without spending memory on it. What comes out is an
upright, 8-bit sRGB image with no metadata at all.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# ISO-BMFF brands of HEIF stills as iPhones and Android phones write them.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
ACCEPTED = "JPEG, PNG, WebP or HEIC"


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
    format: str  # how we store it: "JPEG", or "PNG" for lossless sources
    source_format: str  # what was uploaded: JPEG, PNG, WEBP or HEIF


def sniff_format(head: bytes) -> str | None:
    """The accepted format named by the first bytes (never the name or Content-Type), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _webp_is_lossless(stream: IO[bytes]) -> bool:
    """True when the WebP's image chunk is VP8L (lossless), walking the RIFF chunks."""
    stream.seek(12)
    try:
        for _ in range(16):  # VP8X, ICCP, ANIM, ALPH… the image chunk comes early
            header = stream.read(8)
            if len(header) < 8:
                return False
            tag, size = header[:4], int.from_bytes(header[4:], "little")
            if tag in (b"VP8 ", b"VP8L", b"ANMF"):
                return tag == b"VP8L"
            stream.seek(size + (size & 1), io.SEEK_CUR)
        return False
    finally:
        stream.seek(0)


def _open(stream: IO[bytes], kind: str) -> Image.Image:
    if kind == "HEIF":
        from pillow_heif import HeifImagePlugin  # noqa: F401 - registers the HEIF opener with Pillow
    return Image.open(stream, formats=[kind])


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale scaled (not clipped) to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return Image.fromarray(np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert through the embedded ICC profile, if any, to sRGB (RGB or RGBA)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L", "LA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
            base = image.convert("L") if image.mode == "LA" else image
            base = base.convert("RGB") if base.mode == "RGBA" else base
            converted = ImageCms.profileToProfile(base, source, target, outputMode="RGB")
            if converted is not None:
                if alpha is not None:
                    converted.putalpha(alpha)
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            # A broken embedded profile: keep the pixels rather than refuse
            # a photo that people can see fine elsewhere.
            pass
    wanted = "RGBA" if has_alpha else "RGB"
    return image if image.mode == wanted else image.convert(wanted)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent areas onto white, as a photo viewer shows them."""
    if image.mode == "RGB":
        return image
    if image.mode == "RGBA":
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
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
        raise UploadRefused(f"This is not a photo we can read. Upload a {ACCEPTED} image.", status=415)

    limit = f"the limit is {max_pixels / 1e6:.0f} megapixels"
    try:
        with warnings.catch_warnings():
            # Opening reads only the header. Pillow only *warns* between its
            # limit (89 MP) and twice it, and raises above: both are refusals.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = _open(stream, kind)
        width, height = image.size
        if width * height > max_pixels:  # the profile's limit, checked before any pixel is decoded
            raise UploadRefused(
                f"The image is {width}×{height} ({width * height / 1e6:.0f} megapixels); {limit}.", status=413
            )
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)  # animated PNG/WebP: the first frame is the photo
        image.load()
        lossless = kind == "PNG" or (kind == "WEBP" and _webp_is_lossless(stream))
        ImageOps.exif_transpose(image, in_place=True)  # no copy when already upright
        upright = image
        clean = _flatten(_to_srgb(_to_8bit(upright)))
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(f"The image has too many pixels; {limit}.", status=413) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError, KeyError):
        raise UploadRefused("The image is damaged or incomplete; try exporting it again.", status=422) from None

    # Only pixels go on: EXIF, GPS, XMP, IPTC, ICC, maker notes and comments
    # all live in ``info`` (and the EXIF cache), which is emptied here, so none
    # can reach an encoder (tests look for each in every stored object).
    clean.info = {}
    clean._exif = None  # Pillow's cache of getexif()
    return CleanImage(image=clean, format="PNG" if lossless else "JPEG", source_format=kind)
