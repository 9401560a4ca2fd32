"""Scene portraits: the person from a selfie, framed as a portrait on a backdrop preset, with an optional look.

The caller brings the person mask (``segment.person_mask``), so this module
needs no model. Steps, in the output's pixels: frame the person (portrait
ratio, headroom above the hair), snap the mask's soft edge to the photo's
edges with a guided filter, estimate the person's own colour at that edge
so the old background does not bleed through (blur-fusion foreground
estimation), harmonise the person's exposure and colour toward the backdrop
(one global mapping, limited), lay a soft shadow on the backdrop, composite,
and apply the look. Inside the person, away from the edge, the pixels are
the photo's pixels resized; only the harmonisation and the look change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.backdrops import find_preset, render_backdrop
from darkroom.engine.looks import apply_look, find_look
from darkroom.engine.types import Image, Mask, Progress, check_image, no_progress

Floats = NDArray[np.float32]
Box = tuple[int, int, int, int]

# Below this share of the photo the mask is segmentation noise, not a person.
_MIN_PERSON = 0.005
# Framing, as fractions of the frame height: air above the hair puts the eyes
# near the upper third line on a head-and-shoulders selfie; some floor below
# the feet when they are in the photo.
_HEADROOM = 0.08
_FOOTROOM = 0.06
_SIDE_MARGIN = 0.08
# Segmentation models give confident interiors values of 0.95+, not 1.0.
_ALPHA_LOW, _ALPHA_HIGH = 0.03, 0.95
# Harmonisation limits, in CIE L*a*b* units: beyond ~8 L* or ~6 a*/b* the
# person visibly stops looking like their photo.
_EXPOSURE_PULL, _MAX_L_SHIFT = 0.3, 8.0
_AMBIENT_PULL, _MAX_AB_SHIFT = 0.15, 6.0
_SHADOW_OPACITY = 0.38
_CONTACT_OPACITY = 0.5


@dataclass(frozen=True)
class SceneReport:
    """What ``compose_scene`` did, in pixels of the photo (``source_box``) and of the output (``placed_box``)."""

    preset: str
    look: str | None
    size: tuple[int, int]
    source_box: Box
    placed_box: Box
    scale: float
    exposure_gain: float
    colour_shift: tuple[float, float]
    shadow: bool
    feet_in_frame: bool


def _check_mask(image: Image, mask: Mask) -> None:
    if mask.ndim != 2 or mask.shape != image.shape[:2]:
        raise ValueError(
            f"the person mask is {'×'.join(map(str, mask.shape))} but the photo is "
            f"{image.shape[0]}×{image.shape[1]}; compute the mask from this same photo"
        )
    if not np.issubdtype(mask.dtype, np.floating):
        raise ValueError(f"the person mask must hold floats from 0 to 1, not {mask.dtype}; divide a 0-255 mask by 255")
    low, high = float(mask.min()), float(mask.max())
    # Blurred or resampled masks overshoot by a rounding error; those are clipped, anything more is refused.
    if not (np.isfinite(low) and np.isfinite(high)) or low < -1e-3 or high > 1 + 1e-3:
        raise ValueError("the person mask must hold values from 0 to 1")


def _frame(mask: Mask, ratio: float) -> tuple[tuple[float, float, float, float], bool]:
    """The crop window (x0, y0, x1, y1) in photo pixels, and whether the person's feet are in it.

    The window may reach past the photo on sides the person does not touch;
    the backdrop fills what the photo does not cover.
    """
    import cv2

    height, width = mask.shape
    step = max(1, int(np.ceil(max(height, width) / 512)))
    small = mask[::step, ::step] > 0.5
    if small.mean() < _MIN_PERSON:
        raise ValueError("no person found in the photo: use a photo in which one person is clearly visible")
    # Specks the segmenter leaves in the background would stretch the frame; people (one or several) are kept.
    _, labels, stats, _ = cv2.connectedComponentsWithStats(small.astype(np.uint8), connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.1 * areas.max()) + 1
    person = np.isin(labels, keep)
    rows, cols = np.flatnonzero(person.any(axis=1)), np.flatnonzero(person.any(axis=0))
    top, bottom = rows[0] * step, min(height, (rows[-1] + 1) * step)
    left, right = cols[0] * step, min(width, (cols[-1] + 1) * step)
    # A person cut by an edge of the photo must stay cut by the frame's edge, or the cut would show.
    touches_top, touches_bottom = rows[0] == 0, rows[-1] >= person.shape[0] - 2
    touches_left, touches_right = cols[0] == 0, cols[-1] >= person.shape[1] - 2

    above = 0.0 if touches_top else _HEADROOM
    below = 0.0 if touches_bottom else _FOOTROOM
    natural_h = frame_h = (bottom - top) / (1 - above - below)
    if not touches_bottom:
        # A whole figure is widened to fit; a half-length one, already cut by the photo, may be cut at
        # the sides instead, since where the head sits matters more than the elbows.
        sides = 2 - int(touches_left) - int(touches_right)
        frame_h = max(frame_h, (right - left) * (1 + _SIDE_MARGIN * sides) / ratio)
    if touches_left and touches_right:
        frame_h = min(frame_h, width / ratio)
    frame_w = frame_h * ratio

    # Height added to fit a wide figure goes half above, half below, not all to the floor.
    y0 = top - above * frame_h - (0.0 if touches_top else (frame_h - natural_h) / 2)
    if touches_bottom and not touches_top:
        y0 = min(y0, height - frame_h)
    y0 = max(y0, 0.0) if touches_top else y0
    # Centre on the head (the top quarter of the person), then keep the body in and the cut sides cut.
    head = person[: max(1, (rows[-1] - rows[0] + 1) // 4) + rows[0]]
    cx = (float(np.flatnonzero(head.any(axis=0)).mean()) + 0.5) * step
    x0 = cx - frame_w / 2
    if frame_w >= right - left:
        x0 = min(max(x0, right - frame_w), left)
    if touches_left:
        x0 = max(x0, 0.0)
    if touches_right:
        x0 = min(x0, width - frame_w)
    feet_in_frame = not touches_bottom and y0 + frame_h >= bottom
    return (x0, y0, x0 + frame_w, y0 + frame_h), bool(feet_in_frame)


def _place(
    image: Image, mask: Mask, window: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[Image, Floats, Box, Box, float]:
    """Resize the part of the photo inside ``window`` into an output-sized canvas, with its mask."""
    import cv2

    out_w, out_h = size
    height, width = mask.shape
    wx0, wy0, _, wy1 = window
    scale = float(out_h / (wy1 - wy0))
    sx0, sy0 = max(0, int(np.floor(wx0))), max(0, int(np.floor(wy0)))
    sx1, sy1 = min(width, int(np.ceil(wx0 + out_w / scale))), min(height, int(np.ceil(wy1)))
    px0, py0 = max(0, round((sx0 - wx0) * scale)), max(0, round((sy0 - wy0) * scale))
    px1, py1 = min(out_w, round((sx1 - wx0) * scale)), min(out_h, round((sy1 - wy0) * scale))
    if px1 - px0 < 2 or py1 - py0 < 2:
        raise ValueError("no person found in the photo: the person is too small to frame")
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    part = cv2.resize(
        np.ascontiguousarray(image[sy0:sy1, sx0:sx1]), (px1 - px0, py1 - py0), interpolation=interpolation
    )
    alpha_part = cv2.resize(
        np.ascontiguousarray(mask[sy0:sy1, sx0:sx1], dtype=np.float32),
        (px1 - px0, py1 - py0),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    person = np.zeros((out_h, out_w, 3), dtype=np.uint8)
    alpha = np.zeros((out_h, out_w), dtype=np.float32)
    person[py0:py1, px0:px1] = part
    alpha[py0:py1, px0:px1] = np.clip(alpha_part, 0, 1)
    return person, alpha, (sx0, sy0, sx1, sy1), (px0, py0, px1, py1), scale


def _box_mean(values: NDArray[np.floating[Any]], radius: int) -> Floats:
    import cv2

    return np.asarray(cv2.blur(values, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT), np.float32)


def _refine_alpha(person: Image, alpha: Floats) -> Floats:
    """Sharpen the soft mask toward the photo's own edges (He et al.'s guided filter), only along the edge."""
    import cv2

    hard = np.clip((alpha - _ALPHA_LOW) / (_ALPHA_HIGH - _ALPHA_LOW), 0.0, 1.0).astype(np.float32)
    radius = max(2, round(min(alpha.shape) * 0.004))
    guide = np.asarray(cv2.cvtColor(person, cv2.COLOR_RGB2GRAY), dtype=np.float32) / 255
    mean_i, mean_p = _box_mean(guide, radius), _box_mean(hard, radius)
    cov = _box_mean(guide * hard, radius) - mean_i * mean_p
    var = _box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov / (var + 1e-3)
    b = mean_p - a * mean_i
    filtered = np.clip(_box_mean(a, radius) * guide + _box_mean(b, radius), 0.0, 1.0)
    edge = ((hard > 0.0) & (hard < 1.0)).astype(np.uint8)
    band = cv2.dilate(edge, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0
    return np.where(band, filtered, hard).astype(np.float32)


def _shrink(values: Floats, step: int) -> Floats:
    import cv2

    height, width = values.shape[:2]
    size = (max(8, width // step), max(8, height // step))
    return np.asarray(cv2.resize(values, size, interpolation=cv2.INTER_AREA), dtype=np.float32)


def _enlarge(values: Floats, like: Floats) -> Floats:
    import cv2

    size = (like.shape[1], like.shape[0])
    return np.asarray(cv2.resize(values, size, interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def _foreground_colour(person: Floats, alpha: Floats) -> Floats:
    """The person's own colour where alpha is between 0 and 1 (Forte & Pitié 2021, blur-fusion, two passes).

    Only edge pixels change. The first, wide pass gives smooth estimates, so
    it runs at a quarter size; the second, narrow one at full size.
    """
    edge = (alpha > 0) & (alpha < 1)
    if not edge.any():
        return person
    side = min(alpha.shape)
    small_person, small_alpha = _shrink(person, 4), _shrink(alpha, 4)
    wide = max(2, round(side * 0.01))
    blurred = _box_mean(small_alpha, wide)[..., None]
    wide_fore = _box_mean(small_person * small_alpha[..., None], wide) / (blurred + 1e-5)
    wide_back = _box_mean(small_person * (1 - small_alpha[..., None]), wide) / (1 - blurred + 1e-5)
    back = _enlarge(wide_back, person)

    a = alpha[edge][:, None]
    observed = person[edge]
    fore_edge = _enlarge(wide_fore, person)[edge]
    fore_edge = np.clip(fore_edge + a * (observed - a * fore_edge - (1 - a) * back[edge]), 0, 255)

    # Away from the edge the first pass's estimate is the photo itself (alpha 1) or weightless (alpha 0).
    fore_weighted = person * alpha[..., None]
    fore_weighted[edge] = fore_edge * a
    narrow = max(1, round(side * 0.004))
    blurred_alpha = _box_mean(alpha, narrow)[edge][:, None]
    mean_fore = _box_mean(fore_weighted, narrow)[edge] / (blurred_alpha + 1e-5)
    mean_back = _box_mean(back * (1 - alpha[..., None]), narrow)[edge] / (1 - blurred_alpha + 1e-5)
    result = person.copy()
    result[edge] = np.clip(mean_fore + a * (observed - a * mean_fore - (1 - a) * mean_back), 0, 255)
    return result


def _harmonise(person: Floats, alpha: Floats, backdrop: Floats, strength: float) -> tuple[Floats, float, float, float]:
    """Move the person's exposure and colour part of the way toward the backdrop's light (one global Lab mapping)."""
    import cv2

    # Statistics at a quarter size: means over a million pixels do not need all of them.
    small_alpha = _shrink(alpha, 4)
    inside = small_alpha > 0.9
    if not inside.any():
        return person, 1.0, 0.0, 0.0
    radius = max(2, round(min(small_alpha.shape) * 0.08))
    # The light that matters is the backdrop just around the person, not its far corners.
    around = _box_mean(small_alpha, radius) * (1 - small_alpha)
    small_person = np.asarray(cv2.cvtColor(_shrink(person, 4) / 255, cv2.COLOR_RGB2Lab), dtype=np.float32)
    lab_back = np.asarray(cv2.cvtColor(_shrink(backdrop, 4) / 255, cv2.COLOR_RGB2Lab), dtype=np.float32)
    mean_person = small_person[inside].mean(axis=0)
    mean_back = (lab_back * around[..., None]).sum(axis=(0, 1)) / max(float(around.sum()), 1e-6)
    lab_person = np.asarray(cv2.cvtColor(person / 255, cv2.COLOR_RGB2Lab), dtype=np.float32)
    # A gain, not an offset, on L*: exposure keeps black black, where an offset would haze the shadows.
    # The person's own mean L* is the reference; their contrast is kept (a seamless backdrop has none to match).
    shift_l = float(np.clip(_EXPOSURE_PULL * (mean_back[0] - mean_person[0]), -_MAX_L_SHIFT, _MAX_L_SHIFT))
    gain = 1.0 + strength * shift_l / max(float(mean_person[0]), 1.0)
    # The backdrop's own tint is the ambient light; the person's mean colour is their skin and clothes, not a cast.
    shift_ab = np.clip(_AMBIENT_PULL * mean_back[1:], -_MAX_AB_SHIFT, _MAX_AB_SHIFT) * strength
    lab_person[..., 0] = np.clip(lab_person[..., 0] * gain, 0, 100)
    lab_person[..., 1:] += shift_ab.astype(np.float32)
    mapped = np.asarray(cv2.cvtColor(lab_person, cv2.COLOR_Lab2RGB), dtype=np.float32) * 255
    return np.clip(mapped, 0, 255), gain, float(shift_ab[0]), float(shift_ab[1])


def _shadow(alpha: Floats, feet_in_frame: bool) -> Floats:
    """Shadow strength 0..1: a soft drop shadow behind the person, and a contact shadow under visible feet."""
    import cv2

    height, width = alpha.shape
    # Drawn at a quarter size: a blur this wide holds no detail, and it is 16× cheaper.
    small = np.asarray(cv2.resize(alpha, (max(8, width // 4), max(8, height // 4)), interpolation=cv2.INTER_AREA))
    sh, sw = small.shape
    shift = np.array([[1, 0, sw * 0.02], [0, 1, sh * 0.015]], dtype=np.float32)
    drop = cv2.warpAffine(small, shift, (sw, sh), borderMode=cv2.BORDER_REPLICATE)
    shade = _SHADOW_OPACITY * np.asarray(cv2.GaussianBlur(drop, (0, 0), sh * 0.025), np.float32)
    rows = np.flatnonzero((small > 0.5).any(axis=1))
    if feet_in_frame and rows.size:
        cols = np.flatnonzero((small[rows[-1] - max(1, sh // 40) : rows[-1] + 1] > 0.5).any(axis=0))
        contact = np.zeros_like(small)
        centre = (int(cols.mean()), int(rows[-1]))
        axes = (max(2, int((cols[-1] - cols[0]) * 0.55)), max(1, int(sh * 0.02)))
        cv2.ellipse(contact, centre, axes, 0, 0, 360, 1.0, -1)
        contact = np.asarray(cv2.GaussianBlur(contact, (0, 0), sh * 0.015), np.float32)
        shade = np.maximum(shade, _CONTACT_OPACITY * contact)
    return np.asarray(cv2.resize(shade, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def compose_scene(
    image: Image,
    mask: Mask,
    *,
    preset: str,
    look: str | None = None,
    aspect: tuple[int, int] = (4, 5),
    height: int = 1350,
    seed: int = 0,
    harmonise: float = 1.0,
    shadow: bool = True,
    progress: Progress = no_progress,
) -> tuple[Image, SceneReport]:
    """Frame the person of ``image`` (cut out by ``mask``, H×W float 0..1) on backdrop ``preset``.

    Returns an image ``height`` tall and ``height × aspect[0] / aspect[1]``
    wide, and a report. The photo is resized with area averaging when
    shrunk and bicubic when enlarged; inside the person (mask ≥ 0.95, away
    from its edge) the output is that resized photo, changed only by the
    harmonisation (``harmonise`` 0 turns it off, 1 is the full, limited
    amount) and the ``look``. ``seed`` picks the backdrop's variation.
    Raises ValueError for a mask of the wrong shape, an empty mask ("no
    person found in the photo"), or an unknown preset or look.
    """
    check_image(image, "scene")
    _check_mask(image, mask)
    chosen = find_preset(preset)
    if look is not None:
        find_look(look)
    if len(aspect) != 2 or min(aspect) <= 0 or not 1 / 4 <= aspect[0] / aspect[1] <= 4:
        raise ValueError(f"aspect must be two positive numbers no more than 4:1 apart, like (4, 5), not {aspect}")
    if not 64 <= height <= 8192:
        raise ValueError(f"height must be between 64 and 8192 pixels, not {height}")
    if not 0.0 <= harmonise <= 1.0:
        raise ValueError("harmonise must be between 0 and 1")
    width = max(8, round(height * aspect[0] / aspect[1]))

    window, feet_in_frame = _frame(mask, width / height)
    person_u8, alpha, source_box, placed_box, scale = _place(image, mask, window, (width, height))
    progress(0.25)
    backdrop = render_backdrop(chosen, width, height, seed=seed).astype(np.float32)
    person = person_u8.astype(np.float32)
    alpha = _refine_alpha(person_u8, alpha)
    person = _foreground_colour(person, alpha)
    progress(0.5)
    gain, shift = 1.0, (0.0, 0.0)
    if harmonise > 0:
        person, gain, shift_a, shift_b = _harmonise(person, alpha, backdrop, harmonise)
        shift = (shift_a, shift_b)
    if shadow:
        backdrop *= 1.0 - _shadow(alpha, feet_in_frame)[..., None]
    progress(0.75)
    weight = alpha[..., None]
    composite = np.clip(np.rint(weight * person + (1 - weight) * backdrop), 0, 255).astype(np.uint8)
    if look is not None:
        composite = apply_look(composite, look, seed=seed)
    progress(1.0)
    report = SceneReport(
        preset=chosen.name,
        look=look,
        size=(width, height),
        source_box=source_box,
        placed_box=placed_box,
        scale=scale,
        exposure_gain=gain,
        colour_shift=shift,
        shadow=shadow,
        feet_in_frame=feet_in_frame,
    )
    return composite, report
