"""2.5-D parallax layers for ``animate``: the person cut out, the background filled in behind them.

The background is filled with Telea inpainting on a small copy (its cost grows
with the hole's area times the radius², so a full-size 12 MP hole would take
minutes) and upscaled; the hole is dilated past the mask's soft edge first so
no rim of the person's colour is left in the background to show as a halo
when the person moves off it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.animate_motion import easing
from darkroom.engine.types import Image, Mask

# Telea on ~0.15 MP takes a fraction of a second even for a person filling half the frame.
_INPAINT_LONG_SIDE = 480
_INPAINT_RADIUS = 5
# Mask values above this count as person when cutting the hole (the soft edge included).
_HOLE_THRESHOLD = 0.02
# Dilation of the hole past the soft edge, as a fraction of the photo's short side.
_HOLE_GROWTH = 0.012
# Camera travel as a fraction of the clip's width, and push-in scale at the far point:
# the person (near) moves about three times as much as the background (far).
PERSON_SWAY = 0.035
BACKGROUND_SWAY = 0.012
PERSON_ZOOM = 1.06
BACKGROUND_ZOOM = 1.02
# The clip's window leaves this much photo around it so the background's travel never shows an edge.
PARALLAX_ZOOM = 1 + 2 * BACKGROUND_SWAY + 0.01


@dataclass(frozen=True)
class Layers:
    """Both layers at one resolution: the filled background, and the photo with the person's alpha."""

    background: Image
    person: Image  # the photo itself: the alpha says which of it is the person
    alpha: Mask
    hole: Mask  # where the background was filled (1) and blended back (soft edge)


def check_person_mask(mask: Mask, image: Image) -> None:
    """Refuse a mask that is not an H×W float array in [0, 1] matching ``image``, or holds no person."""
    if mask.shape != image.shape[:2]:
        raise ValueError(f"person_mask is {mask.shape} but the photo is {image.shape[:2]}: they must match")
    if not np.issubdtype(mask.dtype, np.floating):
        raise ValueError("person_mask must be a float array in [0, 1]")
    if not np.isfinite(mask).all() or mask.min() < 0 or mask.max() > 1:
        raise ValueError("person_mask values must lie in [0, 1]")
    covered = float(np.mean(mask > 0.5))
    if covered < 0.001:
        raise ValueError("person_mask holds no person: parallax needs someone to separate from the background")
    if covered > 0.9:
        raise ValueError("person_mask covers almost the whole photo: no background is left to move")


def _disk(radius: int) -> NDArray[np.uint8]:
    import cv2  # heavy import kept out of web start-up

    size = 2 * radius + 1
    kernel: NDArray[np.uint8] = np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)), np.uint8)
    return kernel


def parallax_layers(image: Image, mask: Mask) -> Layers:
    """Split ``image`` into a background with the person inpainted away and the person's layer.

    ``mask`` (H×W float32, 1 = person) must match ``image``; both layers come
    back at the input's size, so callers downscale first to save time.
    """
    import cv2  # heavy import kept out of web start-up

    height, width = image.shape[:2]
    person = (mask > _HOLE_THRESHOLD).astype(np.uint8)
    growth = max(2, round(_HOLE_GROWTH * min(height, width)))
    # The hard hole reaches 2×growth past the soft edge and the feather's sigma is growth/2,
    # so the feathered weight is ~1 everywhere the person (or their soft edge) was.
    hard = cv2.dilate(person, _disk(2 * growth))
    hole = np.minimum(cv2.GaussianBlur(hard.astype(np.float32), (0, 0), growth / 2) * 1.02, 1.0)
    hole = np.maximum(hole, cv2.dilate(person, _disk(growth)).astype(np.float32))

    scale = min(1.0, _INPAINT_LONG_SIDE / max(height, width))
    small_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
    # Any small pixel touched by the hole is refilled, so none carries person colour out.
    small_hole = (cv2.resize(hard.astype(np.float32), small_size, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    small_hole = np.asarray(cv2.dilate(small_hole, _disk(1)), dtype=np.uint8)
    filled = cv2.inpaint(small, small_hole, _INPAINT_RADIUS, cv2.INPAINT_TELEA)
    # Telea streaks radially across a large hole; a blur the size of its radius hides the streaks.
    filled = cv2.GaussianBlur(filled, (0, 0), _INPAINT_RADIUS / 2)
    fill = cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)

    weight = hole[..., None]
    background = np.clip(image * (1 - weight) + fill * weight + 0.5, 0, 255).astype(np.uint8)
    alpha = np.ascontiguousarray(np.clip(mask, 0, 1), dtype=np.float32)
    return Layers(background=background, person=image, alpha=alpha, hole=hole.astype(np.float32))


@dataclass(frozen=True)
class LayerMotion:
    """One frame's move of both layers: horizontal shift (clip pixels) and scale about the clip's centre."""

    person_shift: float
    person_scale: float
    background_shift: float
    background_scale: float


def parallax_motion(frames: int, clip_width: int, *, loop: bool) -> list[LayerMotion]:
    """The layers' moves per frame; frame 0 is the still photo (no shift, scale 1).

    The camera eases to the right and in, then (with ``loop``) back to where it
    began, so the last frame is the first again.
    """
    moves = []
    for u in easing(frames, loop=loop):
        # The camera moving right shifts near things left more than far things.
        moves.append(
            LayerMotion(
                person_shift=-PERSON_SWAY * clip_width * u,
                person_scale=1 + (PERSON_ZOOM - 1) * u,
                background_shift=-BACKGROUND_SWAY * clip_width * u,
                background_scale=1 + (BACKGROUND_ZOOM - 1) * u,
            )
        )
    return moves
