"""The people and the subject: faces (count, size, eyes), focus on faces, and composition.

The faces come from ``darkroom.engine.faces``; the subject is the largest
face, or, in a photo without one, the centre of the salient region.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkroom.engine.critique_aspects import Aspect, Measure, falling, rising, sharpness_aspect
from darkroom.engine.critique_metrics import Sharpness, gray_of, sharpness
from darkroom.engine.faces import Face
from darkroom.engine.types import Image, Mask

# Faces are judged for focus at this height (shrunk, never enlarged), so a
# close-up and a group shot are measured alike; smaller faces are skipped:
# below ~64 px a face has too little detail to tell soft from sharp.
_FACE_SIDE = 160
_MIN_FACE_SIDE = 64
# BlazeFace's box runs from the brows to the chin; the crown sits about a
# third of the box's height above it.
_CROWN = 0.35
_THIRDS = tuple((x, y) for x in (1 / 3, 2 / 3) for y in (1 / 3, 2 / 3))


@dataclass(frozen=True)
class FaceNote:
    """What critique found on one face (pixels of the photo passed in)."""

    box: tuple[float, float, float, float]
    eyes_open: bool | None
    eye_openness: tuple[float, float] | None
    blur: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "box": [round(v, 1) for v in self.box],
            "eyes_open": self.eyes_open,
            "eye_openness": None if self.eye_openness is None else [round(v, 3) for v in self.eye_openness],
            "blur": None if self.blur is None else round(self.blur, 3),
        }


def face_blur(image: Image, face: Face) -> Sharpness | None:
    """Crete's blur on the face's box at ``_FACE_SIDE`` px high; None for faces too small to judge."""
    import cv2

    height, width = image.shape[:2]
    x0, y0, x1, y1 = (round(v) for v in face.box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if min(x1 - x0, y1 - y0) < _MIN_FACE_SIDE:
        return None
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    if crop.shape[0] > _FACE_SIDE:
        scale = _FACE_SIDE / crop.shape[0]
        size = (max(8, round(crop.shape[1] * scale)), _FACE_SIDE)
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return sharpness(gray_of(crop))


def face_notes(image: Image, faces: Sequence[Face]) -> tuple[FaceNote, ...]:
    """Eyes and focus of each face."""
    notes = []
    for face in faces:
        blur = face_blur(image, face)
        notes.append(FaceNote(face.box, face.eyes_open, face.eye_openness, None if blur is None else blur.blur))
    return tuple(notes)


def face_sharpness_aspect(image: Image, faces: Sequence[Face]) -> Aspect:
    """Focus on the largest face big enough to judge; faces are smoother than most scenes, so the midpoint is higher."""
    for face in faces:
        measured = face_blur(image, face)
        if measured is not None:
            # Skin has less fine texture than most scenes: a sharp face measures
            # ~0.55-0.6, one blurred by 1 px ~0.75.
            return sharpness_aspect(measured, name="face_sharpness", where="The face", midpoint=0.68, weight=2.0)
    measures = (Measure("blur", None, "Crete blur, 0 sharp - 1 smeared"),)
    advice = "No face large enough to judge focus on."
    return Aspect("face_sharpness", None, measures, "Focus on the main face.", advice, 2.0)


def faces_aspect(image: Image, faces: Sequence[Face]) -> Aspect:
    """Count, size and eyes: a shut eye on any face large enough to read (5% of the frame's height) is a problem."""
    height = image.shape[0]
    readable = [face for face in faces if face.eye_openness is not None and face.height >= 0.05 * height]
    openness = min((min(face.eye_openness or (1.0, 1.0)) for face in readable), default=None)
    largest = max((face.height / height for face in faces), default=0.0)
    closed = sum(1 for face in readable if face.eyes_open is False)
    measures = (
        Measure("count", len(faces), "faces"),
        Measure("largest_face_height", largest, "fraction of frame height"),
        Measure("eyes_closed", closed, "faces with an eye shut"),
        Measure("min_eye_openness", openness, "lid gap / eye width (open ≈ 0.25-0.35, shut < 0.1)"),
    )
    explanation = "The people in the photo: how many, how large, eyes open."
    if not faces:
        return Aspect("faces", None, measures, explanation, "No faces in the photo.", 2.0)
    if openness is None:
        return Aspect("faces", None, measures, explanation, "The faces are too small to read their eyes.", 2.0)
    score = rising(openness, 0.15, 0.03)
    if closed:
        who = "Someone's eyes are" if len(faces) > 1 else "The eyes are"
        advice = f"{who} closed ({closed} of {len(faces)} faces): take another frame, or shoot a burst."
    elif score < 75:
        advice = "An eye is half closed: a frame a moment later may catch it open."
    else:
        advice = f"Eyes are open ({len(faces)} face{'s' if len(faces) > 1 else ''})."
    return Aspect("faces", score, measures, explanation, advice, 2.0)


def salient_subject(mask: Mask) -> tuple[float, float, float]:
    """Centre (x, y as fractions of the frame) and area fraction of U²-Net-p's salient object."""
    height, width = mask.shape
    chosen = mask >= 0.5
    if not chosen.any():
        return 0.5, 0.5, 0.0
    ys, xs = np.nonzero(chosen)
    weights = mask[chosen]
    cx = float(np.average(xs, weights=weights) + 0.5) / width
    cy = float(np.average(ys, weights=weights) + 0.5) / height
    return cx, cy, float(chosen.mean())


def subject_of(
    faces: Sequence[Face], saliency: tuple[float, float, float], size: tuple[int, int]
) -> tuple[float, float, str]:
    """The subject's centre in pixels, and where it came from ("face" or "salient object")."""
    width, height = size
    if faces:
        face = max(faces, key=lambda f: f.width * f.height)
        return face.centre[0], face.centre[1], "face"
    return saliency[0] * width, saliency[1] * height, "salient object"


def composition_aspect(
    faces: Sequence[Face], saliency: tuple[float, float, float], size: tuple[int, int]
) -> tuple[Aspect, tuple[float, float]]:
    """Subject against the rule-of-thirds points, headroom above the top face, and subject size.

    Placement is judged only for a subject that leaves room to place it: a
    face under a third of the frame's height, or an object under a quarter
    of its area; a frame-filling subject is placed by filling the frame.
    """
    width, height = size
    x, y, source = subject_of(faces, saliency, size)
    fx, fy = x / width, y / height
    distance = min(math.hypot(fx - tx, fy - ty) for tx, ty in _THIRDS)
    parts: dict[str, float] = {}
    headroom = None
    if faces:
        top = min(faces, key=lambda f: f.box[1])
        headroom = (top.box[1] - _CROWN * top.height) / height
        parts["headroom"] = min(rising(headroom, -0.02, 0.015), falling(headroom, 0.35, 0.05))
        subject_size = max(f.height for f in faces) / height
        parts["size"] = rising(subject_size, 0.04, 0.01)
        roomy = subject_size < 1 / 3
    else:
        subject_size = saliency[2]
        parts["size"] = rising(subject_size, 0.03, 0.01)
        roomy = subject_size < 1 / 4
    if roomy:
        # 0 on a thirds point; dead centre is 0.24 away.
        parts["placement"] = falling(distance, 0.2, 0.04)
    worst = min(parts, key=lambda part: parts[part])
    score = parts[worst]
    if worst == "placement":
        problem = (
            f"The subject sits {distance:.0%} of the frame from the nearest rule-of-thirds point: "
            "crop or reframe so it lands on a third."
        )
    elif worst == "headroom" and headroom is not None and headroom < 0:
        problem = "The top of the head is cut off: leave a little space above it."
    elif worst == "headroom":
        problem = f"There is a lot of empty space above the head ({headroom:.0%} of the frame): crop some off the top."
    else:
        share = "of the frame's height" if faces else "of the frame"
        problem = f"The subject is small ({subject_size:.0%} {share}): move closer or crop tighter."
    advice = problem if score < 75 else "The composition works: the subject is placed well."
    measures = (
        Measure("subject", source, "what the subject is"),
        Measure("subject_x", fx, "fraction of frame width"),
        Measure("subject_y", fy, "fraction of frame height"),
        Measure("thirds_distance", distance, "fraction of frame, to the nearest thirds point"),
        Measure("headroom", headroom, "fraction of frame height above the top head"),
        Measure("subject_size", subject_size, "face height / frame height, or salient area fraction"),
    )
    explanation = "Rule of thirds, headroom and subject size."
    return Aspect("composition", score, measures, explanation, advice, 1.0), (x, y)
