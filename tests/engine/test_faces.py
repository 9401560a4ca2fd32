"""Face detection, mesh and irises on real photos (scikit-image's samples)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from darkroom.engine.faces import detect_faces
from darkroom.engine.models import ModelStore


def test_it_finds_the_face_in_each_portrait(portrait: np.ndarray, store: ModelStore) -> None:
    faces = detect_faces(portrait, store)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.8
    # The mesh lies on the face: its points fall inside the (slightly grown) box.
    x0, y0, x1, y1 = face.box
    assert face.mesh is not None
    inside = (face.mesh[:, 0] > x0 - 0.2 * face.width) & (face.mesh[:, 0] < x1 + 0.2 * face.width)
    inside &= (face.mesh[:, 1] > y0 - 0.3 * face.height) & (face.mesh[:, 1] < y1 + 0.2 * face.height)
    assert inside.mean() > 0.95


def test_it_finds_no_face_where_there_is_nobody(no_people: np.ndarray, store: ModelStore) -> None:
    assert detect_faces(no_people, store) == []


def test_it_places_the_eyes_and_irises_where_the_astronaut_looks_from(store: ModelStore) -> None:
    from skimage import data

    face = detect_faces(data.astronaut(), store)[0]
    assert face.irises is not None
    assert face.eye_openness is not None
    right_iris, left_iris = face.irises[0, 0], face.irises[1, 0]
    # The person's right eye is on the photo's left, both above the nose tip.
    assert right_iris[0] < left_iris[0]
    assert max(right_iris[1], left_iris[1]) < face.keypoints[2][1]
    # Each iris centre sits within a few pixels of BlazeFace's own eye keypoint.
    assert np.linalg.norm(right_iris - face.keypoints[0]) < 0.08 * face.width
    assert np.linalg.norm(left_iris - face.keypoints[1]) < 0.08 * face.width
    assert face.eyes_open is True


def test_it_follows_a_tilted_head(store: ModelStore) -> None:
    from skimage import data

    photo = data.astronaut()
    upright = detect_faces(photo, store)[0]
    matrix = cv2.getRotationMatrix2D((256, 256), 30, 1.0)
    tilted = detect_faces(cv2.warpAffine(photo, matrix, (512, 512)), store)
    assert len(tilted) == 1
    expected = matrix[:, :2] @ np.array(upright.centre) + matrix[:, 2]
    assert np.linalg.norm(np.array(tilted[0].centre) - expected) < 0.15 * upright.width
    assert tilted[0].eyes_open is True


def test_it_finds_every_small_face_of_a_group(store: ModelStore) -> None:
    from skimage import data

    face = cv2.resize(data.astronaut(), (240, 240), interpolation=cv2.INTER_AREA)
    group = np.full((1200, 1800, 3), 90, np.uint8)
    for index in range(4):
        group[500:740, 100 + index * 420 : 340 + index * 420] = face
    faces = detect_faces(group, store)
    assert len(faces) == 4
    assert sorted(round(f.centre[0] / 420) for f in faces) == [0, 1, 2, 3]


def test_it_refuses_what_is_not_an_rgb_photo(store: ModelStore) -> None:
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        detect_faces(np.zeros((64, 64), np.uint8), store)
