"""Person masks on real photos."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from darkroom.engine.faces import detect_faces
from darkroom.engine.models import ModelStore
from darkroom.engine.segment import mask_coverage, person_mask


def test_it_covers_the_person_and_not_the_backdrop(store: ModelStore) -> None:
    photo = data.astronaut()
    mask = person_mask(photo, store)
    assert mask.shape == photo.shape[:2]
    assert mask.dtype == np.float32
    face = detect_faces(photo, store)[0]
    x0, y0, x1, y1 = (int(v) for v in face.box)
    assert mask[y0:y1, x0:x1].mean() > 0.9  # the face is person
    assert mask[:60, 420:].mean() < 0.1  # the grey studio wall top right is not
    assert mask[:40, :40].mean() < 0.1  # nor is the flag's corner


def test_its_edges_are_soft_but_leave_no_halo(store: ModelStore) -> None:
    photo = data.astronaut()
    mask = person_mask(photo, store)
    edge = (mask > 0.05) & (mask < 0.95)
    assert 0.002 < edge.mean() < 0.05  # a band along the outline, not a fog
    person = (mask >= 0.5).astype(np.uint8)
    ring = cv2.dilate(person, np.ones((11, 11), np.uint8)) - cv2.dilate(person, np.ones((5, 5), np.uint8))
    # A few pixels outside the outline the mask is gone: composited, no light fringe.
    assert mask[ring > 0].mean() < 0.05
    # U²-Net-p's edges really change the mask (hair, the suit's outline).
    assert np.abs(mask - person_mask(photo, store, fine=False)).mean() > 0.002


def test_it_keeps_its_shape_at_twelve_megapixels(store: ModelStore) -> None:
    photo = data.astronaut()
    large = cv2.resize(photo, (3000, 3000), interpolation=cv2.INTER_CUBIC)
    small_mask = person_mask(photo, store)
    large_mask = cv2.resize(person_mask(large, store), (512, 512), interpolation=cv2.INTER_AREA)
    assert np.abs(large_mask - small_mask).mean() < 0.05


def test_it_finds_almost_no_person_in_a_photo_of_a_rocket(store: ModelStore) -> None:
    assert mask_coverage(person_mask(data.rocket(), store)) < 0.01
