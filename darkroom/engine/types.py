"""Array types shared by the engine's functions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

# H×W×3 uint8 RGB: what every operation takes and returns.
Image = NDArray[np.uint8]
# H×W float32 in [0, 1]: 1 is the person (or subject), 0 the background.
Mask = NDArray[np.float32]
# Called with the fraction done, 0.0 to 1.0; the worker turns it into a percentage.
Progress = Callable[[float], None]


def no_progress(_fraction: float) -> None:
    """The default progress callback: report nowhere."""


def check_image(image: Image, operation: str) -> None:
    """Refuse anything but an H×W×3 uint8 array, naming the operation."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{operation} expects an H×W×3 uint8 RGB array")
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise ValueError(f"{operation} needs a photo of at least 8×8 pixels")
