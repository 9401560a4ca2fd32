"""Face restoration: each face through Real-ESRGAN x4plus, colour-matched and blended back.

The offline answer to GFPGAN/CodeFormer, whose weights come only from a
model hub. x4plus was trained on photos degraded by blur, noise and JPEG,
so run on a face crop and brought back to the crop's size it returns the
face denoised, deblocked and sharpened. It does not invent a face the way a
face prior does: a face too small to hold detail stays soft.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.models import ModelStore
from darkroom.engine.superres import upscale
from darkroom.engine.types import Image, Mask, Progress, check_image, no_progress

if TYPE_CHECKING:
    from darkroom.engine.faces import Face

# Below this (the box's longer side) a face has too few pixels for x4plus to
# restore anything but noise.
MIN_FACE_PX = 24
# The crop around a face: the box is eyebrows to chin, so 1.6× takes in the
# forehead, hair line and jaw that the blend mask fades over.
_CROP_FACTOR = 1.6
# x4plus costs ~4 s for a 128² crop on 2 cores and ~16× that for 512²; a
# larger face is shrunk to this first (the 4× output is then ≥ 512 px).
_MAX_CROP_PX = 128
# Feather of the blend mask, as a fraction of the crop side.
_FEATHER = 0.05


@dataclass(frozen=True)
class FaceResult:
    """One face: its box (pixels), whether it was restored or why not, and the seconds it took."""

    box: tuple[float, float, float, float]
    restored: bool
    seconds: float
    skipped_because: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [round(v, 1) for v in self.box],
            "restored": self.restored,
            "seconds": round(self.seconds, 2),
            "skipped_because": self.skipped_because,
        }


@dataclass(frozen=True)
class RestoreReport:
    """What ``restore_faces`` found and did, for the job page and tests."""

    found: int
    restored: int
    skipped: int
    faces: tuple[FaceResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "restored": self.restored,
            "skipped": self.skipped,
            "faces": [face.to_dict() for face in self.faces],
        }


def _crop_window(face: Face, width: int, height: int) -> tuple[int, int, int, int]:
    """A square of ~1.6× the face box around its centre, slid inside the photo (clipped if it cannot fit)."""
    side = round(max(face.width, face.height) * _CROP_FACTOR)
    centre_x, centre_y = face.centre

    def span(centre: float, limit: int) -> tuple[int, int]:
        start = min(max(0, round(centre - side / 2)), max(0, limit - side))
        return start, min(limit, start + side)

    x0, x1 = span(centre_x, width)
    y0, y1 = span(centre_y, height)
    return x0, y0, x1, y1


def _blend_mask(face: Face, window: tuple[int, int, int, int]) -> Mask:
    """Feathered mask of the face in the crop: the mesh's hull when there is a mesh, else an ellipse.

    It falls to exactly 0 at the crop's edges, so no pixel outside the crop
    changes and no seam can show along it.
    """
    import cv2

    x0, y0, x1, y1 = window
    width, height = x1 - x0, y1 - y0
    shape = np.zeros((height, width), dtype=np.uint8)
    if face.mesh is not None:
        # The mesh stops at the hairline and jaw; 10% more takes in their edges.
        points = face.mesh[:, :2] - [x0, y0]
        centroid = points.mean(axis=0)
        hull = cv2.convexHull(np.round(centroid + (points - centroid) * 1.1).astype(np.int32))
        cv2.fillConvexPoly(shape, hull, 255)
    else:
        # BlazeFace's box runs from the brows to the chin; the ellipse
        # reaches a little above it for the forehead.
        centre_x, centre_y = face.centre
        centre = (round(centre_x - x0), round(centre_y - y0 - face.height * 0.08))
        axes = (round(face.width * 0.55), round(face.height * 0.65))
        cv2.ellipse(shape, centre, axes, 0, 0, 360, 255, thickness=-1)
    sigma = max(1.0, _FEATHER * max(width, height))
    mask = cv2.GaussianBlur(shape.astype(np.float32) / 255.0, (0, 0), sigma)
    ramp = max(2, round(2 * sigma))
    window_y = np.clip(np.minimum(np.arange(height), np.arange(height)[::-1]) / ramp, 0, 1)
    window_x = np.clip(np.minimum(np.arange(width), np.arange(width)[::-1]) / ramp, 0, 1)
    result: Mask = (mask * np.outer(window_y, window_x)).astype(np.float32)
    return result


def _match_colour(restored: Image, original: Image, weights: Mask) -> NDArray[np.float32]:
    """``restored`` with the Lab mean and spread of ``original`` over the face, so the skin tone holds."""
    import cv2

    source = np.asarray(cv2.cvtColor(restored.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB), dtype=np.float32)
    target = np.asarray(cv2.cvtColor(original.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB), dtype=np.float32)
    w = weights[..., np.newaxis].astype(np.float64)
    total = max(float(w.sum()), 1e-6)

    def stats(lab: NDArray[np.float32]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        mean = (lab * w).sum(axis=(0, 1)) / total
        std = np.sqrt(((lab - mean) ** 2 * w).sum(axis=(0, 1)) / total)
        return mean, std

    source_mean, source_std = stats(source)
    target_mean, target_std = stats(target)
    gain = np.clip(target_std / np.maximum(source_std, 1e-3), 0.5, 2.0)
    matched = ((source - source_mean) * gain + target_mean).astype(np.float32)
    rgb = cv2.cvtColor(matched, cv2.COLOR_LAB2RGB)
    result: NDArray[np.float32] = np.clip(rgb * 255.0, 0, 255).astype(np.float32)
    return result


def _restore_one(image: Image, face: Face, store: ModelStore) -> None:
    """Restore one face of ``image`` in place (the caller's own copy: a 12 MP photo is not copied per face)."""
    import cv2

    x0, y0, x1, y1 = window = _crop_window(face, image.shape[1], image.shape[0])
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    height, width = crop.shape[:2]
    shrink = min(1.0, _MAX_CROP_PX / max(height, width))
    small = crop
    if shrink < 1.0:
        size = (max(8, round(width * shrink)), max(8, round(height * shrink)))
        small = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    enlarged = upscale(small, store, scale=4, model="quality", tile=max(small.shape[:2]))
    shrinking = enlarged.shape[0] >= height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    back = np.asarray(cv2.resize(enlarged, (width, height), interpolation=interpolation), dtype=np.uint8)
    mask = _blend_mask(face, window)
    matched = _match_colour(back, crop, mask)
    alpha = mask[..., np.newaxis]
    blended = crop.astype(np.float32) * (1 - alpha) + matched * alpha
    image[y0:y1, x0:x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def restore_faces(
    image: Image,
    store: ModelStore,
    *,
    faces: list[Face] | None = None,
    max_faces: int | None = None,
    progress: Progress = no_progress,
) -> tuple[Image, RestoreReport]:
    """Return ``image`` (H×W×3 uint8 RGB) with each face restored, and a report of what was done.

    ``faces`` defaults to ``detect_faces(image, store)``; pass them when the
    caller already has them. A face whose box is under ``MIN_FACE_PX`` on its
    longer side is left as it is and reported as skipped. Pixels outside
    each face's crop (~1.6× its box) are never changed; a photo with no face
    comes back unchanged. ``max_faces`` restores only that many, the
    largest first (each costs seconds; a crowd would hold a worker for
    minutes); the others are reported as skipped. ``progress`` is called
    after each face.
    """
    check_image(image, "restore_faces")
    if faces is None:
        from darkroom.engine.faces import detect_faces

        faces = detect_faces(image, store)
    out = image.copy()
    results = []
    largest = sorted(range(len(faces)), key=lambda i: faces[i].width * faces[i].height, reverse=True)
    chosen = set(largest if max_faces is None else largest[:max_faces])
    progress(0.0)
    for done, face in enumerate(faces, start=1):
        started = time.perf_counter()
        if done - 1 not in chosen:
            results.append(FaceResult(face.box, False, 0.0, f"beyond the {max_faces} largest faces a job restores"))
        elif max(face.width, face.height) < MIN_FACE_PX:
            reason = f"smaller than {MIN_FACE_PX} px"
            results.append(FaceResult(face.box, False, 0.0, reason))
        else:
            _restore_one(out, face, store)
            results.append(FaceResult(face.box, True, time.perf_counter() - started))
        progress(done / len(faces))
    if not faces:
        progress(1.0)
    restored = sum(result.restored for result in results)
    report = RestoreReport(len(faces), restored, len(faces) - restored, tuple(results))
    return out, report
