"""Working copies: operations whose output is small should not pay for a 50 MP input."""

from __future__ import annotations

import numpy as np

from darkroom.engine.types import Image


def shrink_to(image: Image, long_side: int) -> Image:
    """``image`` with its long side at most ``long_side`` (area-averaged), or ``image`` itself.

    A scene portrait is 1350 px tall and a clip 1280 px wide; segmenting a
    50 MP photo at full size for them costs gigabytes (a full-size float
    guided filter) and changes nothing in what is delivered.
    """
    import cv2

    height, width = image.shape[:2]
    if max(height, width) <= long_side:
        return image
    scale = long_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


# A scene portrait's person may fill a third of the photo's height and still
# fill a 1350 px output; a clip's window zooms in up to ~1.2× on 1280 px.
SCENE_WORKING_SIDE = 4000
ANIMATE_WORKING_SIDE = 2560
