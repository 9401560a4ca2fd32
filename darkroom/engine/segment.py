"""Person masks: MediaPipe's selfie segmentation for who is a person, U²-Net-p for fine edges.

The selfie model knows people but sees only 256×256, so hair comes out as a
blob; U²-Net-p sees edges finely but cuts out whatever is salient, a lamp as
readily as a person. Each covers the other's weakness: U²-Net-p's mask is
kept only near the person the selfie model found, and a guided filter with
the photo as guide carries the result up to full size along real edges.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.models import ModelStore
from darkroom.engine.types import Image, Mask, check_image

# Masks are computed at this long side, then upsampled by the guided filter.
_WORK_EDGE = 1024
_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def _resize(array: NDArray[np.float32] | Image, width: int, height: int) -> NDArray[np.float32]:
    import cv2

    interpolation = cv2.INTER_AREA if array.shape[1] > width else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(array, (width, height), interpolation=interpolation), dtype=np.float32)


def selfie_mask(image: Image, store: ModelStore) -> Mask:
    """MediaPipe selfie segmentation: a coarse person probability at the photo's size."""
    import cv2

    check_image(image, "selfie_mask")
    height, width = image.shape[:2]
    tensor = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    interpreter = store.tflite("selfie_segmentation")
    with store.lock("selfie_segmentation"):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor[np.newaxis])
        interpreter.invoke()
        raw = np.array(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0])
    return np.clip(_resize(raw.astype(np.float32), width, height), 0.0, 1.0)


def salient_mask(image: Image, store: ModelStore) -> Mask:
    """U²-Net-p: the salient object, 320×320 (rembg's preprocessing), at the photo's size."""
    import cv2

    check_image(image, "salient_mask")
    height, width = image.shape[:2]
    small = cv2.resize(image, (320, 320), interpolation=cv2.INTER_AREA).astype(np.float32)
    small = (small / max(float(small.max()), 1.0) - _IMAGENET_MEAN) / _IMAGENET_STD
    session = store.onnx("u2netp")
    tensor = np.ascontiguousarray(small.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)
    first = np.asarray(session.run(None, {session.get_inputs()[0].name: tensor})[0][0, 0], dtype=np.float32)
    low, high = float(first.min()), float(first.max())
    normalised = (first - low) / max(high - low, 1e-6)
    return np.clip(_resize(normalised, width, height), 0.0, 1.0)


def guided_filter(guide: NDArray[np.float32], source: NDArray[np.float32], radius: int, eps: float) -> Mask:
    """He et al.'s guided filter (grey guide): smooths ``source`` while following ``guide``'s edges."""
    import cv2

    size = (2 * radius + 1, 2 * radius + 1)

    def box(array: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.asarray(cv2.boxFilter(array, -1, size, borderType=cv2.BORDER_REFLECT), dtype=np.float32)

    mean_i, mean_p = box(guide), box(source)
    cov_ip = box(guide * source) - mean_i * mean_p
    var_i = box(guide * guide) - mean_i * mean_i
    a = np.asarray(cov_ip / (var_i + eps), dtype=np.float32)
    b = np.asarray(mean_p - a * mean_i, dtype=np.float32)
    filtered: Mask = np.clip(box(a) * guide + box(b), 0.0, 1.0).astype(np.float32)
    return filtered


def person_mask(image: Image, store: ModelStore, *, fine: bool = True) -> Mask:
    """The people in ``image`` as an H×W float32 mask in [0, 1] (1 = person), soft at the edges.

    ``fine=False`` returns the selfie model's mask alone, smoothed (fast:
    a few milliseconds). With ``fine``, U²-Net-p refines edges and hair
    (a quarter to one second). A photo without people gives a mask near 0
    everywhere; callers decide what that means (``mask_coverage``).
    """
    import cv2

    check_image(image, "person_mask")
    height, width = image.shape[:2]
    scale = min(1.0, _WORK_EDGE / max(height, width))
    work_w, work_h = max(8, round(width * scale)), max(8, round(height * scale))
    work: Image = (
        np.asarray(cv2.resize(image, (work_w, work_h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
        if scale < 1
        else image
    )
    coarse = selfie_mask(work, store)
    mask = coarse
    if fine:
        salient = salient_mask(work, store)
        reach = max(3, round(max(work_w, work_h) / 40)) | 1
        near_person = cv2.dilate((coarse > 0.5).astype(np.uint8), np.ones((reach, reach), np.uint8))
        core = cv2.erode((coarse > 0.5).astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(np.float32)
        mask = np.maximum(salient * near_person.astype(np.float32), core * coarse)
    grey = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    mask = guided_filter(grey, mask.astype(np.float32), radius=max(2, round(max(work_w, work_h) / 300)), eps=1e-4)
    if scale < 1:
        # Upsampled along the full-size photo's own edges, not blurred up.
        full_grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
        mask = guided_filter(full_grey, _resize(mask, width, height), radius=max(2, round(1.5 / scale)), eps=1e-4)
    return _tighten(mask)


def _tighten(mask: Mask, low: float = 0.1, high: float = 0.9) -> Mask:
    """Smoothstep the filter's output: its faint tails become a light halo once composited."""
    t = np.clip((mask - low) / (high - low), 0.0, 1.0)
    tightened: Mask = (t * t * (3.0 - 2.0 * t)).astype(np.float32)
    return tightened


def mask_coverage(mask: Mask) -> float:
    """The share of the frame that is person (mask ≥ 0.5)."""
    return float((mask >= 0.5).mean())
