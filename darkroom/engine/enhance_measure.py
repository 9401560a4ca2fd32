"""What ``enhance`` measures before it changes anything: colour cast, exposure, noise.

Every measurement is taken on a small copy (the thumbnail) or on a few
full-resolution tiles, so its cost does not grow with the photo: 12 MP and
0.25 MP cost the same few milliseconds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.types import Image

Floats = NDArray[np.float64]

# Percentiles and means on ~0.25 MP match the full photo's to a fraction of a level.
_STATS_PIXELS = 512 * 512
# A channel at or above this in the original is clipped: its true value is unknown.
_CLIPPED = 250
_CLIPPED_SHARE = 0.15
# Casts up to this size (log-chromaticity; 0.1 ≈ 10 % between channels) are left
# alone and the correction ramps up to the full one at twice it: on clean
# scikit-image photos the combined estimate measures at most 0.05.
_CAST_DEADBAND = 0.06
# The largest correction, ≈ ×1.6 between channels: beyond this the "cast" is the
# scene itself (a sunset, a green wall), not a camera's wrong white point.
_CAST_MAX = 0.50
# Exposure, on the median luminance (0..1): a photo darker than _DARK_MEDIAN gets
# the full levels stretch, one brighter than _FINE_MEDIAN none. Clean photos
# range from 0.22 (rocket, a dusk scene with a bright sky: no headroom to
# stretch) to 0.6 (camera); chelsea (0.48, nothing brighter than 191) is
# low-key, not underexposed, which only its median tells.
_DARK_MEDIAN = 0.35
_FINE_MEDIAN = 0.45
# The stretch never lifts the median above this.
_MAX_MEDIAN = 0.5
# Outside this band the mid-tones get a gamma: a bright photo half-way back to
# the band, a dark one up towards _DARK_LIFT (a median of 0.1 is lifted to 0.22).
_DARK_BAND = 0.20
_DARK_LIFT = 0.35
_BRIGHT_BAND = 0.68
# A darkening gamma cannot bring back clipped highlights; beyond 1.3 it only
# greyed the rest of an overexposed photo (camera ×1.5: SSIM 0.90 → 0.81 at 1.6).
_GAMMA_RANGE = (0.6, 1.3)
_MAX_BLACK = 48.0
# Stretching further than this (≈ 2 stops) amplifies noise more than it recovers.
_MAX_EXPOSURE_GAIN = 4.0
# Immerkær's noise operator; its response to white noise of σ has σ·6.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
_NOISE_TILE = 128
_NOISE_TILES = 4  # per side: 16 tiles, 0.26 MP in all


def thumbnail(image: Image) -> Image:
    """Every n-th pixel of every n-th row: a sample of at most about 0.25 MP.

    Sampled, not averaged: averaging pulls the extreme percentiles in (the
    99.9th of stereo_motorcycle fell from 253 to 250 at half size), and those
    decide the levels. It is also 10× cheaper than cv2's INTER_AREA.
    """
    height, width = image.shape[:2]
    step = int(np.ceil(np.sqrt(height * width / _STATS_PIXELS)))
    return image if step < 2 else np.ascontiguousarray(image[::step, ::step])


def luma(image: NDArray[np.generic]) -> Image:
    """Rec. 601 luma (cv2's RGB2GRAY, the weights of its YCrCb) as uint8."""
    import cv2

    return np.asarray(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def percentiles(values: Image, fractions: tuple[float, ...]) -> list[float]:
    """The levels below which the given fractions of ``values`` (uint8) lie, from a 256-bin histogram.

    np.percentile sorts: 3 ms per call on 0.25 MP, against 0.3 ms for a histogram,
    for an answer within a level.
    """
    cumulative = np.cumsum(np.bincount(values.ravel(), minlength=256))
    total = int(cumulative[-1])
    return [float(np.searchsorted(cumulative, fraction * total)) for fraction in fractions]


def cast_gains(sample: Image) -> Floats:
    """Per-channel gains (the smallest 1) that remove a colour cast, or ones if there is none.

    Two estimates have to agree. White-patch (the brightest unclipped pixels
    are grey) alone neutralised rocket, a clean photo lit by a low sun whose
    highlights are as orange as a strong tungsten cast; grey-world (the average
    is grey) alone turned chelsea's orange cat blue. Grey-edge (the average
    gradient is grey) is wrong on other photos than white-patch is. A camera's
    wrong white point moves both the same way, so on a cast photo they point
    the same way; on clean photos their small errors point anywhere (on
    scikit-image's, mostly opposite ways). The cast kept is scaled by the
    cosine between them.
    """
    import cv2

    # numpy's reductions along a length-3 axis are slow (8 ms for 0.25 MP);
    # plane-wise maxima and mask-weighted matrix products are 20× faster.
    planes = sample.reshape(-1, 3)
    brightest = np.maximum(np.maximum(planes[:, 0], planes[:, 1]), planes[:, 2])
    darkest = np.minimum(np.minimum(planes[:, 0], planes[:, 1]), planes[:, 2])
    unclipped = brightest < _CLIPPED
    usable = unclipped & (darkest > 8)
    # Where one channel clips, the others' ratios to it are lost: an overexposed
    # orange scene reads as blue. Trust falls to nothing at _CLIPPED_SHARE.
    trust = 1.0 - float(np.clip((1.0 - unclipped.mean() - 0.02) / _CLIPPED_SHARE, 0.0, 1.0))
    if usable.sum() < 64 or trust <= 0:
        return np.ones(3)
    grey = luma(sample).ravel()
    bright = usable & (grey >= percentiles(grey[usable], (0.97,))[0])
    patch = _log_chroma(_masked_mean(planes.astype(np.float32), bright))
    smooth = cv2.GaussianBlur(sample.astype(np.float32), (0, 0), 1.0)
    gradient = cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))
    edge = _log_chroma(_masked_mean(np.asarray(gradient, dtype=np.float32).reshape(-1, 3), usable))
    sizes = float(np.linalg.norm(patch)), float(np.linalg.norm(edge))
    if min(sizes) < 1e-6:
        return np.ones(3)
    direction = patch / sizes[0] + edge / sizes[1]
    agreement = float(patch @ edge) / (sizes[0] * sizes[1])
    if agreement <= 0 or float(np.linalg.norm(direction)) < 1e-6:
        return np.ones(3)
    # The geometric mean of the two sizes: the arithmetic one over-corrected
    # rocket under a warm cast, where white-patch reads the sun's colour too.
    size = float(np.sqrt(sizes[0] * sizes[1])) * agreement
    ramp = float(np.clip((size - _CAST_DEADBAND) / _CAST_DEADBAND, 0.0, 1.0))
    corrected = min(size * ramp * trust, _CAST_MAX)
    gains: Floats = np.exp(-direction / float(np.linalg.norm(direction)) * corrected)
    normalised: Floats = gains / float(gains.min())
    return normalised


def _masked_mean(values: NDArray[np.float32], mask: NDArray[np.bool_]) -> Floats:
    weights = mask.astype(np.float32)
    total = np.asarray(weights @ values, dtype=np.float64)
    mean: Floats = total / max(float(weights.sum()), 1.0)
    return mean


def _log_chroma(rgb: Floats) -> Floats:
    logs = np.log(np.maximum(rgb, 1.0))
    chroma: Floats = logs - logs.mean()
    return chroma


def exposure_curve(sample: Image, gains: Floats) -> tuple[float, float, float]:
    """Black point, white point (0..255, after ``gains``) and mid-tone gamma that expose the photo well.

    The white point moves down to the brightest part only when the mid-tones
    are dark, so a low-key photo keeps its look. What the stretch cannot fix
    without clipping, a gamma on the mid-tones does, only outside a wide band
    and only part of the way, so a dusk photo stays dusk.
    """
    import cv2

    tables = np.clip(np.rint(np.arange(256)[:, None] * gains[None, :]), 0, 255).astype(np.uint8)
    balanced = cv2.LUT(sample, tables.reshape(256, 1, 3))
    low, high, median = percentiles(luma(balanced), (0.001, 0.999, 0.5))
    # Up to a few levels of black is how cameras render shadows; more is haze or a
    # lifted curve. Capped: a snow scene's darkest pixel may be light grey.
    black = min(max(0.0, low - 6.0) * 0.8, _MAX_BLACK)
    span = 255.0 - black
    level = max(median - black, 1.0) / span
    need = float(np.clip((_FINE_MEDIAN - level) / (_FINE_MEDIAN - _DARK_MEDIAN), 0.0, 1.0))
    full = min(span / max(high - black, 1.0), _MAX_MEDIAN / level, _MAX_EXPOSURE_GAIN)
    gain = 1.0 + need * max(full - 1.0, 0.0)
    white = black + span / gain
    mid = float(np.clip(level * gain, 1e-3, 0.999))
    if mid < _DARK_BAND:
        # Continuous at the band's edge, and the darker the photo the further it is lifted.
        target = mid + (_DARK_LIFT - mid) * (_DARK_BAND - mid) / _DARK_BAND
    elif mid > _BRIGHT_BAND:
        target = (mid + _BRIGHT_BAND) / 2
    else:
        target = mid
    gamma = float(np.clip(np.log(target) / np.log(mid), _GAMMA_RANGE[0], _GAMMA_RANGE[1]))
    return black, white, gamma


def noise_sigma(luma: Image) -> float:
    """Standard deviation of the pixel noise in ``luma`` (H×W uint8), in levels.

    The median absolute response of Immerkær's operator, which edges barely
    move, on full-resolution tiles: a downscaled copy would average the noise
    away. Clean scikit-image photos measure 0.2–1.7, Gaussian noise of σ 5 on
    each RGB channel about 4.
    """
    import cv2

    height, width = luma.shape
    tiles = []
    if height * width <= (_NOISE_TILE * _NOISE_TILES) ** 2:
        tiles.append(luma)
    else:
        for row in np.linspace(0, height - _NOISE_TILE, _NOISE_TILES).astype(int):
            for col in np.linspace(0, width - _NOISE_TILE, _NOISE_TILES).astype(int):
                tiles.append(luma[row : row + _NOISE_TILE, col : col + _NOISE_TILE])
    responses = []
    for tile in tiles:
        response = cv2.filter2D(tile.astype(np.float32), -1, _NOISE_KERNEL)[1:-1, 1:-1]
        inner = tile[1:-1, 1:-1]
        # Clipped pixels have no noise left to measure.
        responses.append(np.abs(response[(inner > 2) & (inner < 253)]))
    values = np.concatenate(responses)
    if values.size < 256:
        return 0.0
    return float(np.median(values) * 1.4826 / 6.0)
