"""Moderation: Yahoo's open_nsfw score, compared with the profile's threshold.

The network's preprocessing is the Caffe original's (open_nsfw's
classify_nsfw.py): resize to 256×256, centre crop 224×224, BGR, ImageNet
channel means subtracted, values 0-255. Anything else shifts the score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from darkroom.engine.models import ModelStore
from darkroom.engine.types import Image, check_image

_BGR_MEAN = np.array([104.0, 117.0, 123.0], dtype=np.float32)


@dataclass(frozen=True)
class Verdict:
    """What moderation measured and decided."""

    nsfw_score: float
    threshold: float
    allowed: bool
    model: str = "open_nsfw"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nsfw_score(image: Image, store: ModelStore) -> float:
    """The probability, 0 to 1, that ``image`` is not safe for work."""
    import cv2

    check_image(image, "moderate")
    resized = cv2.resize(image, (256, 256), interpolation=cv2.INTER_LINEAR)
    crop = resized[16:240, 16:240, ::-1].astype(np.float32) - _BGR_MEAN
    session = store.onnx("open_nsfw")
    output = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(crop[np.newaxis])})[0]
    return float(np.asarray(output)[0, 1])


def moderate(image: Image, store: ModelStore, threshold: float) -> Verdict:
    """Score ``image`` and allow it when the score is below ``threshold`` (the profile's, 0 to 1)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError("the moderation threshold must be above 0 and at most 1")
    score = nsfw_score(image, store)
    return Verdict(nsfw_score=round(score, 4), threshold=threshold, allowed=score < threshold)
