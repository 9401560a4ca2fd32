"""An annotated copy of a critiqued photo: thirds grid, faces and eyes, tilt line, clipping, scores."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.critique_aspects import FINE, PROBLEM
from darkroom.engine.critique_metrics import blown_mask, crushed_mask
from darkroom.engine.types import Image, check_image

if TYPE_CHECKING:  # critique.py re-exports critique_overlay, so the import must not run
    from darkroom.engine.critique import Critique

# RGB colours of the marks.
_GRID = (255, 255, 255)
_OPEN = (40, 220, 90)
_SHUT = (255, 60, 60)
_UNKNOWN = (255, 200, 0)
_TILT = (255, 0, 255)
_BLOWN = np.array([255, 0, 0], dtype=np.float32)
_CRUSHED = np.array([0, 90, 255], dtype=np.float32)


def _score_colour(score: float) -> tuple[int, int, int]:
    if score < PROBLEM:
        return _SHUT
    return _UNKNOWN if score < FINE else _OPEN


def _label(canvas: Image, text: str, origin: tuple[int, int], colour: tuple[int, int, int], size: float) -> None:
    import cv2

    thickness = max(1, round(size * 2))
    # A dark outline keeps the text readable on light and dark photos alike.
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, colour, thickness, cv2.LINE_AA)


def _hatch(height: int, width: int) -> NDArray[np.bool_]:
    """Diagonal stripes, a third of the area, about 64 to the short side (uint16 keeps 50 MP small)."""
    period = max(6, min(height, width) // 64)
    across = (np.arange(width, dtype=np.uint16) % period)[np.newaxis, :]
    down = (np.arange(height, dtype=np.uint16) % period)[:, np.newaxis]
    stripes: NDArray[np.bool_] = (across + down) % period < max(2, period // 3)
    return stripes


def critique_overlay(image: Image, critique: Critique) -> Image:
    """A copy of ``image`` annotated with what ``critique`` found.

    Blown highlights are hatched red and crushed shadows blue; the
    rule-of-thirds grid is drawn with the subject's centre; each face gets
    its box (green eyes open, red shut, amber unknown); the tilt line is
    drawn in magenta; the overall and per-aspect scores are listed top left.
    """
    import cv2

    check_image(image, "critique_overlay")
    height, width = image.shape[:2]
    if (width, height) != (critique.width, critique.height):
        raise ValueError("critique_overlay needs the photo the critique was made of")
    out = np.array(image, dtype=np.uint8, order="C")
    # One uint8 blend of the whole frame per tint, copied where clipped: indexing
    # the clipped pixels as floats would cost gigabytes on a blown-out 50 MP photo.
    # Hatched, not filled: a studio portrait's black backdrop is crushed on purpose,
    # and a solid tint over a third of the frame hides the photo being judged.
    tinted = np.empty_like(out)
    hatch = _hatch(height, width)
    for mask, tint in ((blown_mask(image), _BLOWN), (crushed_mask(image), _CRUSHED)):
        cv2.addWeighted(out, 0.45, np.full_like(out, tint), 0.55, 0, dst=tinted)
        np.copyto(out, tinted, where=(mask & hatch)[..., np.newaxis])
    line = max(1, round(min(width, height) / 400))
    for fraction in (1 / 3, 2 / 3):
        x, y = round(width * fraction), round(height * fraction)
        cv2.line(out, (x, 0), (x, height - 1), _GRID, line, cv2.LINE_AA)
        cv2.line(out, (0, y), (width - 1, y), _GRID, line, cv2.LINE_AA)
    sx, sy = (round(v) for v in critique.subject)
    cv2.drawMarker(out, (sx, sy), _UNKNOWN, cv2.MARKER_CROSS, max(12, 8 * line), 2 * line, cv2.LINE_AA)
    text_size = max(0.4, min(width, height) / 1200)
    for face in critique.faces:
        colour = _UNKNOWN if face.eyes_open is None else _OPEN if face.eyes_open else _SHUT
        x0, y0, x1, y1 = (round(v) for v in face.box)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 2 * line, cv2.LINE_AA)
        state = "eyes ?" if face.eyes_open is None else "eyes open" if face.eyes_open else "eyes closed"
        _label(out, state, (x0, max(12, y0 - 6 * line)), colour, text_size)
    if critique.tilt_segment is not None:
        x0, y0, x1, y1 = (round(v) for v in critique.tilt_segment)
        cv2.line(out, (x0, y0), (x1, y1), _TILT, 3 * line, cv2.LINE_AA)
    rows = [(f"overall {critique.overall:.0f}", _score_colour(critique.overall))]
    rows += [(f"{a.name} {a.score:.0f}", _score_colour(a.score)) for a in critique.aspects if a.score is not None]
    step = round(30 * text_size + 6)
    for index, (text, colour) in enumerate(rows):
        _label(out, text, (8, step * (index + 1)), colour, text_size)
    return out
