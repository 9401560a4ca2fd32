"""Faces: BlazeFace detection, the 468-point face mesh and the irises (MediaPipe's models on LiteRT).

MediaPipe's Python package is not used: its last release with these model
files pins numpy < 2, and its current FaceLandmarker wants a .task bundle no
package ships. The graphs it runs are small, so they are written out here
from MediaPipe's calculator options (face_detection_*.pbtxt,
face_landmark_front_cpu.pbtxt, iris_landmark_cpu.pbtxt): SSD anchors,
box decoding, weighted non-maximum suppression, a rotated crop for the
mesh, and one crop an eye for the iris.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.models import ModelStore
from darkroom.engine.types import Image, check_image

Points = NDArray[np.float32]

# Mesh indices of the eye corners and lids (MediaPipe's canonical face mesh).
# "Right" is the person's right eye, on the left of a photo of them.
_RIGHT_EYE = {"outer": 33, "inner": 133, "upper": 159, "lower": 145}
_LEFT_EYE = {"outer": 263, "inner": 362, "upper": 386, "lower": 374}
# Below this lid gap / eye width an eye reads as shut; open eyes measure
# 0.25-0.35 on the sample portraits, closed ones under 0.1.
_EYE_OPEN_RATIO = 0.15


@dataclass(frozen=True)
class Face:
    """One face: its box, BlazeFace's six keypoints and, when asked for, the mesh and irises.

    Coordinates are pixels of the image passed to ``detect_faces``.
    ``keypoints``: right eye, left eye, nose tip, mouth centre, right ear,
    left ear. ``mesh``: 468×3 (x, y in pixels; z relative depth, same scale).
    ``irises``: 2×5×2, right then left eye, centre then four rim points.
    ``eye_openness``: lid gap divided by eye width, right then left.
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints: Points
    mesh: Points | None = None
    irises: Points | None = None
    eye_openness: tuple[float, float] | None = None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    @property
    def eyes_open(self) -> bool | None:
        """True when both eyes are open, False when either is shut, None without a mesh."""
        if self.eye_openness is None:
            return None
        return min(self.eye_openness) >= _EYE_OPEN_RATIO

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": [round(v, 1) for v in self.box],
            "score": round(self.score, 3),
            "eyes_open": self.eyes_open,
            "eye_openness": None if self.eye_openness is None else [round(v, 3) for v in self.eye_openness],
        }


@dataclass(frozen=True)
class _Detector:
    model: str
    size: int
    strides: tuple[int, ...]
    anchors_per_cell: tuple[int, ...]
    min_score: float


# face_detection_short_range.pbtxt and face_detection_full_range.pbtxt.
_SHORT = _Detector("face_detection_short", 128, (8, 16, 16, 16), (2, 2, 2, 2), 0.5)
_FULL = _Detector("face_detection_full", 192, (4,), (1,), 0.6)


@cache
def _anchors(detector: _Detector) -> NDArray[np.float32]:
    """SSD anchor centres (fixed anchor size, offset 0.5), as SsdAnchorsCalculator makes them."""
    centres: list[tuple[float, float]] = []
    for stride, count in zip(detector.strides, detector.anchors_per_cell, strict=True):
        cells = math.ceil(detector.size / stride)
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * count)
    return np.asarray(centres, dtype=np.float32)


def _letterbox(image: Image, size: int) -> tuple[NDArray[np.float32], float, float, float]:
    """Fit ``image`` into a size×size square (padding, no crop): tensor, scale, x and y padding."""
    import cv2

    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    square = np.zeros((size, size, 3), dtype=np.uint8)
    square[int(pad_y) : int(pad_y) + new_h, int(pad_x) : int(pad_x) + new_w] = resized
    tensor = square.astype(np.float32) / 127.5 - 1.0  # BlazeFace takes [-1, 1]
    return tensor[np.newaxis], scale, float(int(pad_x)), float(int(pad_y))


def _iou(box: NDArray[np.float32], others: NDArray[np.float32]) -> NDArray[np.float32]:
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    result: NDArray[np.float32] = inter / np.maximum(area + areas - inter, 1e-6)
    return result


def _weighted_nms(
    boxes: NDArray[np.float32], points: NDArray[np.float32], scores: NDArray[np.float32], threshold: float = 0.3
) -> list[tuple[NDArray[np.float32], NDArray[np.float32], float]]:
    """MediaPipe's WEIGHTED suppression: overlapping detections are averaged by score, not dropped."""
    order = np.argsort(-scores)
    boxes, points, scores = boxes[order], points[order], scores[order]
    kept = []
    remaining = np.ones(len(scores), dtype=bool)
    for index in range(len(scores)):
        if not remaining[index]:
            continue
        overlap = (_iou(boxes[index], boxes) > threshold) & remaining
        remaining &= ~overlap
        weights = scores[overlap][:, np.newaxis]
        box = (boxes[overlap] * weights).sum(axis=0) / weights.sum()
        pts = (points[overlap] * weights[:, :, np.newaxis]).sum(axis=0) / weights.sum()
        kept.append((box.astype(np.float32), pts.astype(np.float32), float(scores[index])))
    return kept


def _tiles(width: int, height: int) -> list[tuple[int, int, int]]:
    """Overlapping squares (x, y, side) covering a large photo, so a group's small faces are not
    shrunk below what BlazeFace sees (it takes 192 px: a 30 px face in a 4000 px photo would be 1.5 px)."""
    side = min(width, height)
    if max(width, height) <= 640:
        return []
    side = max(side // 2, 320) if side > 960 else side
    step = max(1, int(side * 0.75))
    xs = [*range(0, max(1, width - side) + 1, step), max(0, width - side)]
    ys = [*range(0, max(1, height - side) + 1, step), max(0, height - side)]
    return sorted({(x, y, side) for x in xs for y in ys})


def _detect_tiled(image: Image, store: ModelStore) -> list[tuple[NDArray[np.float32], Points, float]]:
    found = _detect(image, store, _SHORT) + _detect(image, store, _FULL)
    height, width = image.shape[:2]
    for x, y, side in _tiles(width, height):
        for box, pts, score in _detect(image[y : y + side, x : x + side], store, _FULL):
            offset = np.asarray([x, y, x, y], dtype=np.float32)
            found.append((box + offset, pts + offset[:2], score))
    return found


def _detect(image: Image, store: ModelStore, detector: _Detector) -> list[tuple[NDArray[np.float32], Points, float]]:
    tensor, scale, pad_x, pad_y = _letterbox(image, detector.size)
    interpreter = store.tflite(detector.model)
    with store.lock(detector.model):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
        interpreter.invoke()
        outputs = sorted(interpreter.get_output_details(), key=lambda d: int(d["shape"][-1]), reverse=True)
        raw = np.array(interpreter.get_tensor(outputs[0]["index"])[0], dtype=np.float32)
        logits = np.array(interpreter.get_tensor(outputs[1]["index"])[0, :, 0], dtype=np.float32)
    probabilities = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
    chosen = probabilities >= detector.min_score
    if not chosen.any():
        return []
    anchors = _anchors(detector)[chosen]
    raw = np.asarray(raw[chosen] / detector.size, dtype=np.float32)
    scores = np.asarray(probabilities[chosen], dtype=np.float32)
    cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
    half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
    boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1).astype(np.float32)
    points = (raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, np.newaxis, :]).astype(np.float32)
    faces = []
    height, width = image.shape[:2]
    for box, pts, score in _weighted_nms(boxes, points, scores):
        # From the letterboxed square back to the photo's pixels.
        unpadded = (box * detector.size - np.asarray([pad_x, pad_y, pad_x, pad_y])) / scale
        px_box = np.clip(unpadded, 0, [width, height, width, height]).astype(np.float32)
        px_pts = ((pts * detector.size - [pad_x, pad_y]) / scale).astype(np.float32)
        faces.append((px_box, px_pts, score))
    return faces


def _crop_transform(centre: tuple[float, float], size: float, angle: float, out: int) -> NDArray[np.float64]:
    """Affine matrix taking the photo to an out×out crop of side ``size`` rotated by ``angle`` (radians)."""
    import cv2

    matrix = cv2.getRotationMatrix2D(centre, math.degrees(angle), out / size)
    matrix[0, 2] += out / 2 - centre[0]
    matrix[1, 2] += out / 2 - centre[1]
    return np.asarray(matrix, dtype=np.float64)


def _to_photo(points: NDArray[np.float32], matrix: NDArray[np.float64]) -> Points:
    import cv2

    inverse = cv2.invertAffineTransform(matrix)
    xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
    return np.asarray(xy, dtype=np.float32)


def _run(store: ModelStore, model: str, tensor: NDArray[np.float32]) -> list[NDArray[np.float32]]:
    interpreter = store.tflite(model)
    with store.lock(model):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor[np.newaxis])
        interpreter.invoke()
        return [
            np.array(interpreter.get_tensor(d["index"]), dtype=np.float32) for d in interpreter.get_output_details()
        ]


def _mesh(image: Image, store: ModelStore, box: NDArray[np.float32], keypoints: Points) -> tuple[Points, float]:
    """468 landmarks from a crop rotated so the eyes are level (face_detection_front_detection_to_roi)."""
    import cv2

    right_eye, left_eye = keypoints[0], keypoints[1]
    angle = math.atan2(float(left_eye[1] - right_eye[1]), float(left_eye[0] - right_eye[0]))
    centre = (float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2)
    size = float(max(box[2] - box[0], box[3] - box[1])) * 1.5
    matrix = _crop_transform(centre, size, angle, 192)
    crop = cv2.warpAffine(image, matrix, (192, 192), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    outputs = _run(store, "face_landmark", crop.astype(np.float32) / 255.0)
    landmarks = next(o for o in outputs if o.size == 1404).reshape(468, 3)
    presence = float(1.0 / (1.0 + math.exp(-float(next(o for o in outputs if o.size == 1).ravel()[0]))))
    xy = _to_photo(landmarks, matrix)
    z = landmarks[:, 2:3] * (size / 192)
    return np.concatenate([xy, z], axis=1).astype(np.float32), presence


def _iris(image: Image, store: ModelStore, mesh: Points, eye: dict[str, int], flip: bool) -> Points:
    """Five iris points of one eye; the model knows left eyes, so the other is mirrored first."""
    import cv2

    outer, inner = mesh[eye["outer"], :2], mesh[eye["inner"], :2]
    centre = (float(outer[0] + inner[0]) / 2, float(outer[1] + inner[1]) / 2)
    size = float(np.linalg.norm(outer - inner)) * 2.3  # iris_landmark_landmarks_to_roi's scale
    angle = math.atan2(float(inner[1] - outer[1]), float(inner[0] - outer[0]))
    if flip:
        angle = math.atan2(float(outer[1] - inner[1]), float(outer[0] - inner[0]))
    matrix = _crop_transform(centre, max(size, 4.0), angle, 64)
    crop = cv2.warpAffine(image, matrix, (64, 64), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if flip:
        crop = crop[:, ::-1]
    outputs = _run(store, "iris_landmark", np.ascontiguousarray(crop, dtype=np.float32) / 255.0)
    iris = next(o for o in outputs if o.size == 15).reshape(5, 3)[:, :2].copy()
    if flip:
        iris[:, 0] = 64 - iris[:, 0]
    return _to_photo(iris, matrix)


def _openness(mesh: Points, eye: dict[str, int]) -> float:
    width = float(np.linalg.norm(mesh[eye["outer"], :2] - mesh[eye["inner"], :2]))
    gap = float(np.linalg.norm(mesh[eye["upper"], :2] - mesh[eye["lower"], :2]))
    return gap / max(width, 1e-6)


def detect_faces(image: Image, store: ModelStore, *, mesh: bool = True, min_presence: float = 0.5) -> list[Face]:
    """Every face in ``image``, largest first.

    Both BlazeFace models run: the short-range one finds the large faces of
    selfies and portraits, the full-range one the small faces of a group
    (on overlapping tiles of a large photo); their detections are merged. With ``mesh``, each face also gets its
    468-point mesh, irises and eye openness, and a face the mesh model does
    not recognise as a face (presence below ``min_presence``) is dropped.
    """
    check_image(image, "detect_faces")
    found = _detect_tiled(image, store)
    if not found:
        return []
    boxes = np.stack([box for box, _, _ in found])
    points = np.stack([pts for _, pts, _ in found])
    scores = np.asarray([score for _, _, score in found], dtype=np.float32)
    faces = []
    for box, pts, score in _weighted_nms(boxes, points, scores):
        if box[2] - box[0] < 4 or box[3] - box[1] < 4:
            continue
        box_tuple = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
        if not mesh:
            faces.append(Face(box_tuple, score, pts))
            continue
        landmarks, presence = _mesh(image, store, box, pts)
        if presence < min_presence:
            continue
        irises = np.stack(
            [
                _iris(image, store, landmarks, _RIGHT_EYE, flip=True),
                _iris(image, store, landmarks, _LEFT_EYE, flip=False),
            ]
        )
        openness = (_openness(landmarks, _RIGHT_EYE), _openness(landmarks, _LEFT_EYE))
        faces.append(Face(box_tuple, score, pts, landmarks, irises.astype(np.float32), openness))
    return sorted(faces, key=lambda face: face.width * face.height, reverse=True)
