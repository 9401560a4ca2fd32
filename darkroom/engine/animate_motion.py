"""Camera geometry for ``animate``: clip size, the salient point, and the Ken Burns path.

Everything here is plain arithmetic on photo coordinates (pixels, x right, y down,
continuous: pixel ``i`` covers ``[i, i+1)``), so tests can check the path without
decoding a video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from darkroom.engine.types import Image

# Closer than ~1.2× over a few seconds reads as a zoom rather than a drift, and
# pushes a 12 MP photo's detail no further than the 720p frame already shows.
PUSH_IN_ZOOM = 1.18
# A pan needs slack on both axes even when the photo already has the clip's aspect.
PAN_ZOOM = 1.2
# The pan keeps the focus at least this fraction of the window away from its edges.
PAN_FOCUS_MARGIN = 0.2
# Photos within 10% of square get a square clip; wider or taller ones 16:9 or 9:16.
_SQUARE_TOLERANCE = 1.1
# Spectral-residual saliency works on a tiny thumbnail (Hou & Zhang 2007 used 64 px).
_SALIENCY_SIZE = 64


@dataclass(frozen=True)
class Window:
    """The part of the photo one frame shows: centre and size in photo pixels."""

    cx: float
    cy: float
    width: float
    height: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """``(left, top, width, height)`` in photo pixels."""
        return (self.cx - self.width / 2, self.cy - self.height / 2, self.width, self.height)

    def contains(self, x: float, y: float) -> bool:
        """Whether the photo point ``(x, y)`` is inside the window."""
        return abs(x - self.cx) <= self.width / 2 and abs(y - self.cy) <= self.height / 2


def clip_size(photo_width: int, photo_height: int, short_side: int) -> tuple[int, int]:
    """The clip's ``(width, height)``: 16:9, 9:16 or square after the photo, short side ``short_side``.

    "720p" is read as the short side, as for vertical video (720×1280). Both
    sides are even because yuv420p subsamples chroma 2×2.
    """
    aspect = photo_width / photo_height
    long_side = 2 * round(short_side * 16 / 9 / 2)
    if aspect > _SQUARE_TOLERANCE:
        return long_side, short_side
    if aspect < 1 / _SQUARE_TOLERANCE:
        return short_side, long_side
    return short_side, short_side


def base_window_size(photo_width: int, photo_height: int, aspect: float) -> tuple[float, float]:
    """The largest window of ``aspect`` (width / height) that fits in the photo."""
    if photo_width / photo_height > aspect:
        return photo_height * aspect, float(photo_height)
    return float(photo_width), photo_width / aspect


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def window_at(photo_width: int, photo_height: int, aspect: float, zoom: float, centre: tuple[float, float]) -> Window:
    """The window of ``aspect`` at ``zoom`` (1 = largest fit) nearest ``centre`` that stays inside the photo."""
    base_w, base_h = base_window_size(photo_width, photo_height, aspect)
    width, height = base_w / zoom, base_h / zoom
    cx = _clamp(centre[0], width / 2, photo_width - width / 2)
    cy = _clamp(centre[1], height / 2, photo_height - height / 2)
    return Window(cx, cy, width, height)


def easing(frames: int, *, loop: bool) -> list[float]:
    """Progress 0..1 per frame, with zero speed at the start, the end and (for a loop) the turn.

    A loop goes out and back over one cosine cycle whose last frame is the
    first again: at zero speed the repeated frame at the seam is invisible, and
    the clip's last frame is exactly its first.
    """
    last = max(frames - 1, 1)
    if loop:
        return [(1 - math.cos(2 * math.pi * n / last)) / 2 for n in range(frames)]
    return [(1 - math.cos(math.pi * n / last)) / 2 for n in range(frames)]


def camera_path(
    style: str,
    photo_size: tuple[int, int],
    aspect: float,
    focus: tuple[float, float],
    frames: int,
    *,
    loop: bool,
) -> list[Window]:
    """One window per frame for a ``push-in`` or ``pan`` over a photo of ``photo_size`` (width, height).

    The push-in grows from the largest window to ``PUSH_IN_ZOOM`` centred on
    ``focus``; the pan slides a ``PAN_ZOOM`` window along the axis with more
    room (horizontal unless the vertical has twice as much), keeping ``focus``
    inside with a margin. Every window contains ``focus``.
    """
    width, height = photo_size
    progress = easing(frames, loop=loop)
    if style == "push-in":
        return [window_at(width, height, aspect, 1 + (PUSH_IN_ZOOM - 1) * u, focus) for u in progress]
    if style != "pan":
        raise ValueError(f"unknown camera path {style!r}")
    still = window_at(width, height, aspect, PAN_ZOOM, focus)
    slack_x, slack_y = width - still.width, height - still.height
    horizontal = slack_x * 2 >= slack_y
    size, extent, point = (still.width, width, focus[0]) if horizontal else (still.height, height, focus[1])
    reach = (0.5 - PAN_FOCUS_MARGIN) * size
    low = max(size / 2, point - reach)
    high = min(extent - size / 2, point + reach)
    if high < low:  # the focus sits in a corner the margin cannot honour: stay centred on it
        low = high = _clamp(point, size / 2, extent - size / 2)
    path = []
    for u in progress:
        along = low + (high - low) * u
        if horizontal:
            path.append(Window(along, still.cy, still.width, still.height))
        else:
            path.append(Window(still.cx, along, still.width, still.height))
    return path


def _roll_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Box mean with wrap-around, as the spectrum is periodic."""
    total = np.zeros_like(values)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            total += np.roll(values, (dy, dx), axis=(0, 1))
    result: np.ndarray = total / (2 * radius + 1) ** 2
    return result


def saliency_map(image: Image) -> np.ndarray:
    """Where the subject is: spectral-residual saliency (Hou & Zhang 2007) times in-focus detail, 64×64 in [0, 1].

    The spectral residual (summed over Lab, so a red object on a grey wall
    counts) finds what is unusual but also answers to blurred blobs; weighting
    it by Laplacian energy keeps the part that is in focus, as a photographer's
    subject is. On a sharp subject pasted on a blurred photo the product found
    the subject 48 times in 48 where the residual alone did 18.
    """
    import cv2  # heavy import kept out of web start-up

    size = _SALIENCY_SIZE
    thumb = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(thumb, cv2.COLOR_RGB2LAB).astype(np.float64)
    residual_saliency = np.zeros((size, size), dtype=np.float64)
    for channel in range(3):
        plane = lab[..., channel]
        # A flat channel (a, b of a black-and-white photo) has no spectrum to take a residual of.
        if plane.std() < 0.5:
            continue
        spectrum = np.fft.fft2(plane - plane.mean())
        log_amplitude = np.log(np.abs(spectrum) + 1e-9)
        residual = log_amplitude - _roll_mean(log_amplitude, 1)
        residual_saliency += np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    # Detail is measured at 4× the thumbnail's size: at 64 px a photo's focus is already gone.
    grey = cv2.cvtColor(cv2.resize(image, (4 * size, 4 * size), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    laplacian = np.abs(cv2.Laplacian(cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0), cv2.CV_32F))
    detail = cv2.resize(laplacian, (size, size), interpolation=cv2.INTER_AREA).astype(np.float64)
    combined = cv2.GaussianBlur(residual_saliency, (0, 0), 2.5, borderType=cv2.BORDER_REFLECT)
    combined = combined * cv2.GaussianBlur(detail, (0, 0), 2.5, borderType=cv2.BORDER_REFLECT)
    combined -= combined.min()
    peak = combined.max()
    return (combined / peak if peak > 0 else combined).astype(np.float32)


def saliency_centre(image: Image) -> tuple[float, float]:
    """The photo point ``(x, y)`` a camera should favour: the strongest salient region.

    The peak of a broadly blurred saliency map picks one region rather than the
    average of two; a mild centre prior suppresses the spectral method's false
    responses at the photo's borders.
    """
    import cv2  # heavy import kept out of web start-up

    saliency = saliency_map(image).astype(np.float64)
    size = _SALIENCY_SIZE
    grid = (np.arange(size) + 0.5) / size - 0.5
    prior = np.exp(-(grid[:, None] ** 2 + grid[None, :] ** 2) / (2 * 0.35**2))
    regions = cv2.GaussianBlur(saliency * prior, (0, 0), size * 0.06)
    row, col = np.unravel_index(int(np.argmax(regions)), regions.shape)
    # Refine the peak to the saliency-weighted centroid of its neighbourhood.
    radius = size // 8
    top, left = max(0, int(row) - radius), max(0, int(col) - radius)
    patch = saliency[top : int(row) + radius + 1, left : int(col) + radius + 1]
    weights = patch**2 + 1e-12
    ys, xs = np.mgrid[top : top + patch.shape[0], left : left + patch.shape[1]]
    y = float((ys * weights).sum() / weights.sum() + 0.5) / size
    x = float((xs * weights).sum() / weights.sum() + 0.5) / size
    height, width = image.shape[:2]
    return x * width, y * height
