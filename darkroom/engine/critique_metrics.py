"""The measurements behind ``critique``: each a plain function of a photo, returning numbers with units.

Every measurement runs on the working copy (long side at most
``WORKING_SIDE``), so a figure means the same on a 1 MP and a 24 MP photo:
what a viewer sees at screen size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.types import Image

Floats = NDArray[np.float32]

# About a laptop screen's width: the size at which most photos are judged.
WORKING_SIDE = 1024
# Re-blur width of Crete et al.'s blur metric (their paper and skimage use 9-11).
_CRETE_WIDTH = 11
# Pixels at or beyond these sRGB levels have lost their detail.
_HIGHLIGHT_LEVEL = 250
_SHADOW_LEVEL = 5
# Noise is measured on 16×16 blocks; the quietest tenth stand for the flat areas
# where noise shows (textured blocks would read as noise).
_NOISE_BLOCK = 16
_NOISE_QUANTILE = 10
# Lines within this many degrees of level (or plumb) count as horizons (or verticals).
_TILT_WINDOW = 12.0
# A line counts when its votes reach the frame's side and stand 1.2× above a typical angle's
# (calibrated on scikit-image's photos: fur and table grain stay below, horizons and shelves above).
_TILT_SUPPORT = 1.0
_TILT_PROMINENCE = 1.2


def working_copy(image: Image) -> Image:
    """``image`` shrunk (never enlarged) so its long side is at most ``WORKING_SIDE``."""
    import cv2

    height, width = image.shape[:2]
    scale = WORKING_SIDE / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(image)
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def gray_of(image: Image) -> Floats:
    """Luma (Rec. 601 weights, 0-255) as float32."""
    import cv2

    return np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float32)


def linear_luminance(image: Image) -> Floats:
    """Relative luminance Y (0-1) after undoing the sRGB transfer curve."""
    values = np.arange(256, dtype=np.float64) / 255
    linear = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)
    table = np.asarray(linear, dtype=np.float32)
    rgb = table[image]
    return np.asarray(rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32), dtype=np.float32)


@dataclass(frozen=True)
class Sharpness:
    """Crete's blur (0 sharp … 1 smeared) and the variance of the Laplacian (grey levels², at working size)."""

    blur: float
    laplacian_variance: float


def sharpness(gray: Floats) -> Sharpness:
    """How much detail survives a further blur (Crete et al. 2007), plus the Laplacian's variance.

    Crete's measure compares neighbour differences before and after a strong
    re-blur: a sharp photo loses most of them, a blurred one little. Being a
    ratio it depends far less on how much texture the scene has than the
    Laplacian's variance does, so it is what the score uses.
    """
    import cv2

    laplacian = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    blurs = []
    for axis in (0, 1):
        kernel = (1, _CRETE_WIDTH) if axis == 1 else (_CRETE_WIDTH, 1)
        smoothed = cv2.blur(gray, kernel, borderType=cv2.BORDER_REFLECT)
        d_sharp = np.abs(np.diff(gray, axis=axis))
        d_blur = np.abs(np.diff(smoothed, axis=axis))
        lost = np.maximum(d_sharp - d_blur, 0)
        total = float(d_sharp[1:-1].sum() if axis == 0 else d_sharp[:, 1:-1].sum())
        kept = float(lost[1:-1].sum() if axis == 0 else lost[:, 1:-1].sum())
        blurs.append(1.0 - kept / total if total > 0 else 1.0)
    return Sharpness(blur=max(blurs), laplacian_variance=float(laplacian.var()))


@dataclass(frozen=True)
class Exposure:
    """Exposure figures: stops are powers of two of light, fractions are of the frame (0-1)."""

    key_stops: float  # log-average luminance against 18% grey
    headroom_stops: float  # how far the brightest tones could be raised before they clip
    mean_luma: float  # 0-255
    highlights_clipped: float
    shadows_clipped: float

    @property
    def under_stops(self) -> float:
        """How much brighter the photo could be made: mid-tones below grey, limited by the highlights' room.

        A dusk or low-key photo whose lights reach white is dark on purpose
        and reads 0 here; an underexposed one has room at the top as well.
        """
        return max(0.0, min(-self.key_stops, self.headroom_stops))

    @property
    def over_stops(self) -> float:
        """How far the scene key sits above mid-grey, in stops (0 when below)."""
        return max(0.0, self.key_stops)


def blown_mask(image: Image) -> NDArray[np.bool_]:
    """Pixels with two or more channels at the ceiling: white or pale colour with its detail gone."""
    high = image >= _HIGHLIGHT_LEVEL
    return np.asarray((high[..., 0] & (high[..., 1] | high[..., 2])) | (high[..., 1] & high[..., 2]))


def crushed_mask(image: Image) -> NDArray[np.bool_]:
    """Pixels with every channel at the floor."""
    return np.asarray(image.max(axis=2) <= _SHADOW_LEVEL)


def exposure(image: Image, gray: Floats) -> Exposure:
    """Exposure as the scene key (log-average luminance, Reinhard et al. 2002) against 18% grey, plus clipping.

    The log-average rather than the mean, so a bright window or sky does not
    read as overexposure of the whole frame. The headroom uses the 99.5th
    percentile of the brightest channel, so a few specular glints do not hide it.
    """
    luminance = linear_luminance(image)
    key = float(np.exp(np.mean(np.log(luminance + 1e-3))))
    values = np.arange(256, dtype=np.float64) / 255
    linear = np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)
    brightest = float(linear[int(np.percentile(image.max(axis=2), 99.5))])
    return Exposure(
        key_stops=math.log2(key / 0.18),
        headroom_stops=max(0.0, -math.log2(max(brightest, 1e-4))),
        mean_luma=float(gray.mean()),
        highlights_clipped=float(blown_mask(image).mean()),
        shadows_clipped=float(crushed_mask(image).mean()),
    )


@dataclass(frozen=True)
class Contrast:
    """RMS contrast (std of luma / 255) and the 1st-99th percentile luma spread (0-255)."""

    rms: float
    spread: float


def contrast(gray: Floats) -> Contrast:
    """Global contrast: RMS and the range between the 1st and 99th luma percentiles."""
    low, high = np.percentile(gray, [1, 99])
    return Contrast(rms=float(gray.std() / 255), spread=float(high - low))


def noise_sigma(gray: Floats) -> float:
    """Noise σ in grey levels: robust spread of a second-difference high-pass on the flattest blocks.

    Immerkær's 3×3 kernel (1995) cancels any locally linear shading, so flat
    and gently shaded areas give back only the noise; its response to white
    noise of σ has standard deviation 6σ. Each block's σ is a median absolute
    deviation (Donoho's 0.6745), so a stray edge does not count. Blocks near
    black or white are skipped: clipping hides noise there.
    """
    import cv2

    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    response = np.abs(cv2.filter2D(gray, cv2.CV_32F, kernel))[1:-1, 1:-1]
    inner = gray[1:-1, 1:-1]
    size = _NOISE_BLOCK
    rows, cols = response.shape[0] // size, response.shape[1] // size
    if rows == 0 or cols == 0:
        return float(np.median(response) / 0.6745 / 6)
    blocks = response[: rows * size, : cols * size].reshape(rows, size, cols, size).transpose(0, 2, 1, 3)
    levels = inner[: rows * size, : cols * size].reshape(rows, size, cols, size).mean(axis=(1, 3))
    sigmas = np.median(blocks.reshape(rows, cols, -1), axis=2) / 0.6745 / 6
    usable = sigmas[(levels > 20) & (levels < 235)]
    if usable.size < 4:
        usable = sigmas.ravel()
    return float(np.percentile(usable, _NOISE_QUANTILE))


@dataclass(frozen=True)
class Colour:
    """Lab figures: the cast (a*, b* offset of the near-neutral tones), mean chroma, and saturation clipping."""

    cast_a: float
    cast_b: float
    cast: float
    mean_chroma: float
    chroma_p95: float
    saturated: float
    monochrome: bool


def colour(image: Image) -> Colour:
    """Colour cast and saturation, measured in CIE Lab.

    The cast is the mean a*, b* of the least chromatic third of the light
    tones (L* 55-97): whites and greys, which a wrong white balance tints
    first. Darker tones are left out because their chroma is small whatever
    the light. A photo with no light tones is judged on all its mid-tones.
    """
    import cv2

    lab = cv2.cvtColor(image.astype(np.float32) / 255, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    lightness, a, b = lab[:, 0], lab[:, 1], lab[:, 2]
    chroma = np.hypot(a, b)
    light = (lightness > 55) & (lightness < 97)
    if int(light.sum()) < 100:
        light = (lightness > 15) & (lightness < 97)
    if int(light.sum()) < 100:
        light = np.ones_like(light)
    neutral = light & (chroma <= np.percentile(chroma[light], 30))
    cast_a, cast_b = float(a[neutral].mean()), float(b[neutral].mean())
    # A channel pinned at 0 while another is at 255: colour pushed past the gamut.
    pinned = (image.max(axis=2) >= 254) & (image.min(axis=2) <= 1)
    p95 = float(np.percentile(chroma, 95))
    return Colour(
        cast_a=cast_a,
        cast_b=cast_b,
        cast=math.hypot(cast_a, cast_b),
        mean_chroma=float(chroma.mean()),
        chroma_p95=p95,
        saturated=float(pinned.mean()),
        monochrome=p95 < 4.0,
    )


@dataclass(frozen=True)
class Tilt:
    """The horizon's (or verticals') deviation from level in degrees, positive anticlockwise.

    ``angle`` is None when no straight line is strong enough to trust.
    ``support``: edge pixels on the three strongest lines at that angle,
    relative to the frame's side (1.0 = one edge across the whole frame);
    ``prominence``: how far that stands above the typical angle's.
    ``segment``: the strongest line (x0, y0, x1, y1, pixels of the image measured).
    """

    angle: float | None
    support: float
    prominence: float
    segment: tuple[float, float, float, float] | None


def _line_votes(
    xs: Floats, ys: Floats, weights: Floats, angles: NDArray[np.float64], plumb: bool, side: int
) -> tuple[Floats, NDArray[np.int64], NDArray[np.float64]]:
    """Hough votes per angle: the top three 2-px-wide lines' counts / ``side``, the top bin, and the distances."""
    sin, cos = np.sin(angles)[:, None], np.cos(angles)[:, None]
    # A level line rotated anticlockwise by a has normal (sin a, cos a) in
    # image coordinates (y down); a plumb one (cos a, -sin a).
    distance = xs * cos - ys * sin if plumb else xs * sin + ys * cos
    offset = 2 * side
    bins = np.floor((distance + offset) / 2).astype(np.int64)
    width = 2 * side + 1
    flat = (bins + np.arange(len(angles))[:, None] * width).ravel()
    counts = np.bincount(flat, weights=np.broadcast_to(weights, bins.shape).ravel(), minlength=len(angles) * width)
    counts = counts.reshape(len(angles), width)
    top = np.asarray(np.sort(counts, axis=1)[:, -3:].sum(axis=1) / side, dtype=np.float32)
    return top, np.asarray(np.argmax(counts, axis=1), dtype=np.int64), np.asarray(distance, dtype=np.float64)


def _edge_groups(gray: Floats) -> tuple[list[tuple[Floats, Floats, Floats, bool, int]], float]:
    """Canny edge pixels split by gradient direction into level-line and plumb-line voters, and the scale used."""
    import cv2

    scale = min(1.0, 720 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    height, width = small.shape
    smooth = cv2.GaussianBlur(small, (0, 0), 1.0)
    median = float(np.median(smooth))
    edges = cv2.Canny(smooth.astype(np.uint8), max(10.0, 0.66 * median), min(255.0, max(40.0, 1.33 * median))) > 0
    ys, xs = np.nonzero(edges)
    gx = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0)[ys, xs])
    gy = np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1)[ys, xs])
    steep = math.tan(math.radians(20))
    groups = []
    for plumb, chosen in ((False, gx < steep * gy), (True, gy < steep * gx)):
        if int(chosen.sum()) < 25:
            continue
        px, py = xs[chosen].astype(np.float32), ys[chosen].astype(np.float32)
        # Tilting the camera up or down leans verticals in proportion to their
        # distance from the centre (converging verticals); near the centre they
        # stay true, so their votes count most.
        weights = 1 - np.abs(px - width / 2) / (width / 2) if plumb else np.ones_like(px)
        groups.append((px, py, weights.astype(np.float32), plumb, height if plumb else width))
    return groups, scale


def tilt(gray: Floats) -> Tilt:
    """Deviation from level of the dominant near-level or near-plumb straight lines (a Hough transform).

    Edge pixels (Canny) vote, by their gradient's direction, for level or
    plumb lines turned by -12°…12° (0.5° steps, then 0.1° around the best);
    the angle whose three strongest lines gather the most votes wins. It
    counts only when those lines are long (``support`` ≥ 1) and stand out
    from other angles (``prominence`` ≥ 1.2): fur, foliage and random
    texture vote for every angle alike and give no angle at all.
    """
    groups, scale = _edge_groups(gray)
    if not groups:
        return Tilt(None, 0.0, 0.0, None)
    coarse = np.radians(np.arange(-_TILT_WINDOW, _TILT_WINDOW + 0.01, 0.5))
    profile = np.sum([_line_votes(px, py, w, coarse, plumb, side)[0] for px, py, w, plumb, side in groups], axis=0)
    start = float(np.degrees(coarse[int(np.argmax(profile))]))
    fine = np.radians(np.arange(start - 0.5, start + 0.51, 0.1))
    votes = [_line_votes(px, py, w, fine, plumb, side) for px, py, w, plumb, side in groups]
    fine_profile = np.sum([top for top, _, _ in votes], axis=0)
    best = int(np.argmax(fine_profile))
    support = float(fine_profile[best])
    prominence = support / max(float(np.median(profile)), 1e-6)
    if support < _TILT_SUPPORT or prominence < _TILT_PROMINENCE:
        return Tilt(None, support, prominence, None)
    # The segment to draw: the pixels of the strongest single line at that angle.
    strongest = max(range(len(groups)), key=lambda index: votes[index][0][best])
    px, py, _, _, side = groups[strongest]
    _, best_bin, distance = votes[strongest]
    on_line = np.floor((distance[best] + 2 * side) / 2).astype(np.int64) == best_bin[best]
    lx, ly = px[on_line], py[on_line]
    along = lx if np.ptp(lx) >= np.ptp(ly) else ly
    first, last = int(np.argmin(along)), int(np.argmax(along))
    x0, y0, x1, y1 = (float(v) / scale for v in (lx[first], ly[first], lx[last], ly[last]))
    return Tilt(float(np.degrees(fine[best])), support, prominence, (x0, y0, x1, y1))
