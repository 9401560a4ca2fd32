"""critique: a photo's technical and compositional quality, measured, scored 0-100, with advice.

Every score rests on a measured value reported beside it (``Aspect.measures``):
sharpness (Crete's blur, also on the main face), exposure and clipping,
contrast, noise, colour cast, saturation, tilt, BRISQUE, faces (eyes from the
face mesh) and composition. The measurements are in ``critique_metrics``,
the scoring and wording in ``critique_aspects`` and ``critique_subject``,
the annotated picture in ``critique_overlay``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkroom.engine import critique_aspects as aspects
from darkroom.engine import critique_metrics as metrics
from darkroom.engine.brisque import brisque_score
from darkroom.engine.critique_aspects import FINE, PROBLEM, Aspect, Measure
from darkroom.engine.critique_overlay import critique_overlay
from darkroom.engine.critique_subject import (
    FaceNote,
    composition_aspect,
    face_notes,
    face_sharpness_aspect,
    faces_aspect,
    salient_subject,
)
from darkroom.engine.faces import Face
from darkroom.engine.models import ModelStore
from darkroom.engine.segment import salient_mask
from darkroom.engine.types import Image, Progress, check_image, no_progress

__all__ = ["FINE", "PROBLEM", "Advice", "Aspect", "Critique", "FaceNote", "Measure", "critique", "critique_overlay"]

# One bad flaw spoils a photo however good the rest is, so the overall score
# blends the weighted mean with the worst of these.
_DECISIVE = frozenset({"sharpness", "face_sharpness", "exposure", "noise", "tilt", "brisque", "faces"})
_WORST_SHARE = 0.4
# BRISQUE was trained on the LIVE photos, ~768×512: score it near that size.
_BRISQUE_SIDE = 768


@dataclass(frozen=True)
class Advice:
    """One piece of advice and the aspect (and its score) it comes from."""

    aspect: str
    score: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"aspect": self.aspect, "score": round(self.score, 1), "text": self.text}


@dataclass(frozen=True)
class Critique:
    """The whole critique; coordinates are pixels of the photo passed to ``critique``."""

    width: int
    height: int
    overall: float
    aspects: tuple[Aspect, ...]
    advice: tuple[Advice, ...]
    faces: tuple[FaceNote, ...]
    tilt_segment: tuple[float, float, float, float] | None
    subject: tuple[float, float]

    def aspect(self, name: str) -> Aspect:
        """The aspect called ``name`` (KeyError if there is none)."""
        for aspect in self.aspects:
            if aspect.name == name:
                return aspect
        raise KeyError(name)

    @property
    def scores(self) -> dict[str, float | None]:
        """Each aspect's score (None where it does not apply)."""
        return {aspect.name: aspect.score for aspect in self.aspects}

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-able dicts, lists, numbers and strings."""
        return {
            "width": self.width,
            "height": self.height,
            "overall": round(self.overall, 1),
            "aspects": {aspect.name: aspect.to_dict() for aspect in self.aspects},
            "advice": [advice.to_dict() for advice in self.advice],
            "faces": [face.to_dict() for face in self.faces],
            "tilt_segment": None if self.tilt_segment is None else [round(v, 1) for v in self.tilt_segment],
            "subject": [round(v, 1) for v in self.subject],
        }


def overall_score(scored: Sequence[Aspect]) -> float:
    """Weighted mean of the aspects that apply, pulled towards the worst decisive one."""
    applicable = [aspect for aspect in scored if aspect.score is not None]
    if not applicable:
        return 0.0
    total = sum(aspect.weight for aspect in applicable)
    mean = sum(aspect.weight * (aspect.score or 0.0) for aspect in applicable) / total
    decisive = [aspect.score or 0.0 for aspect in applicable if aspect.name in _DECISIVE]
    if not decisive:
        return mean
    return (1 - _WORST_SHARE) * mean + _WORST_SHARE * min(decisive)


def pick_advice(scored: Sequence[Aspect], count: int = 3) -> tuple[Advice, ...]:
    """The ``count`` worst-scoring aspects that apply, worst first; a heavier aspect wins a tie."""
    applicable = [aspect for aspect in scored if aspect.score is not None]
    ranked = sorted(applicable, key=lambda aspect: ((aspect.score or 0.0), -aspect.weight))
    return tuple(Advice(aspect.name, aspect.score or 0.0, aspect.advice) for aspect in ranked[:count])


def scene_aspects(image: Image) -> tuple[tuple[Aspect, ...], metrics.Tilt]:
    """The aspects measured from pixels alone (no model): sharpness, exposure, contrast, noise, colour, tilt.

    ``critique`` calls this on its working copy; it is public so that batch
    checks can score many photos without running the face and subject models.
    """
    check_image(image, "critique")
    work = metrics.working_copy(image)
    gray = metrics.gray_of(work)
    coloured = metrics.colour(work)
    levelled = metrics.tilt(gray)
    found = (
        aspects.sharpness_aspect(metrics.sharpness(gray)),
        aspects.exposure_aspect(metrics.exposure(work, gray)),
        aspects.contrast_aspect(metrics.contrast(gray)),
        aspects.noise_aspect(metrics.noise_sigma(gray)),
        aspects.colour_cast_aspect(coloured),
        aspects.saturation_aspect(coloured),
        aspects.tilt_aspect(levelled),
    )
    return found, levelled


def critique(
    image: Image, store: ModelStore, *, faces: Sequence[Face] | None = None, progress: Progress = no_progress
) -> Critique:
    """Measure ``image`` (H×W×3 uint8 RGB) and score every aspect 0-100, with the three most useful tips.

    ``faces`` from ``detect_faces`` may be passed in when the caller already
    has them; otherwise they are detected here (with the mesh, for the eyes).
    The scene measurements run on a copy at most ``metrics.WORKING_SIDE``
    pixels long: what a viewer sees on a screen.
    """
    import cv2

    check_image(image, "critique")
    height, width = image.shape[:2]
    progress(0.0)
    if faces is None:
        from darkroom.engine.faces import detect_faces

        faces = detect_faces(image, store)
    progress(0.3)
    work = metrics.working_copy(image)
    scale = width / work.shape[1]
    scene, levelled = scene_aspects(work)
    progress(0.5)
    saliency = salient_subject(salient_mask(work, store))
    progress(0.7)
    brisque_input = work
    factor = _BRISQUE_SIDE / max(work.shape[:2])
    if factor < 1:
        size = (max(8, round(work.shape[1] * factor)), max(8, round(work.shape[0] * factor)))
        brisque_input = np.asarray(cv2.resize(work, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    quality = brisque_score(brisque_input, store)
    progress(0.9)
    composition, subject = composition_aspect(faces, saliency, (width, height))
    by_name = {aspect.name: aspect for aspect in scene}
    scored = (
        by_name["sharpness"],
        face_sharpness_aspect(image, faces),
        by_name["exposure"],
        by_name["contrast"],
        by_name["noise"],
        by_name["colour_cast"],
        by_name["saturation"],
        by_name["tilt"],
        aspects.brisque_aspect(quality),
        faces_aspect(image, faces),
        composition,
    )
    segment = None
    if levelled.angle is not None and levelled.segment is not None:
        x0, y0, x1, y1 = levelled.segment
        segment = (x0 * scale, y0 * scale, x1 * scale, y1 * scale)
    result = Critique(
        width=width,
        height=height,
        overall=overall_score(scored),
        aspects=scored,
        advice=pick_advice(scored),
        faces=face_notes(image, faces),
        tilt_segment=segment,
        subject=subject,
    )
    progress(1.0)
    return result
