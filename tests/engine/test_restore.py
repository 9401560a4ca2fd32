"""Face restoration with the real face detector and Real-ESRGAN x4plus, on a degraded astronaut at 256² (fast)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from darkroom.engine.faces import Face, detect_faces
from darkroom.engine.models import ModelStore
from darkroom.engine.restore import restore_faces


def degrade(image: NDArray[np.uint8], seed: int = 0) -> NDArray[np.uint8]:
    """Half-resolution blur, JPEG at quality 20, then sensor-like noise."""
    height, width = image.shape[:2]
    blurred = cv2.resize(cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA), (width, height))
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(blurred, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 20])
    assert ok
    blocky = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    noise = np.random.default_rng(seed).normal(0, 6, blocky.shape)
    return np.clip(blocky + noise, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clean() -> NDArray[np.uint8]:
    # 256² keeps the face crop under x4plus's 128 px so it runs in ~1 s.
    return np.asarray(cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA), dtype=np.uint8)


@pytest.fixture(scope="module")
def degraded(clean: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return degrade(clean)


def box_slice(face: Face) -> tuple[slice, slice]:
    x0, y0, x1, y1 = (round(v) for v in face.box)
    return slice(y0, y1), slice(x0, x1)


@pytest.mark.parametrize("mesh", [True, False], ids=["mesh-hull mask", "elliptical mask"])
def test_it_brings_a_degraded_face_closer_to_the_clean_one(
    store: ModelStore, clean: NDArray[np.uint8], degraded: NDArray[np.uint8], mesh: bool
) -> None:
    faces = detect_faces(degraded, store, mesh=mesh)
    assert len(faces) == 1
    reported: list[float] = []
    restored, report = restore_faces(degraded, store, faces=faces, progress=reported.append)

    face = box_slice(faces[0])
    # Measured: SSIM on the face box rises 0.84 → 0.87-0.88 and PSNR by
    # ~0.5 dB (x4plus removes the noise and blocks; the blur it can only
    # partly undo), whichever mask blends it back.
    before = structural_similarity(clean[face], degraded[face], channel_axis=2)
    after = structural_similarity(clean[face], restored[face], channel_axis=2)
    assert after > before + 0.02
    assert peak_signal_noise_ratio(clean[face], restored[face]) > peak_signal_noise_ratio(clean[face], degraded[face])

    # The skin tone holds: the face's mean Lab colour moves by under 1 unit.
    lab_before = cv2.cvtColor(degraded[face], cv2.COLOR_RGB2LAB).reshape(-1, 3).mean(axis=0)
    lab_after = cv2.cvtColor(restored[face], cv2.COLOR_RGB2LAB).reshape(-1, 3).mean(axis=0)
    assert np.abs(lab_after - lab_before).max() < 1.0

    # Far from the face (outside its 1.6× crop) not one pixel changes.
    x0, y0, x1, y1 = faces[0].box
    reach = max(x1 - x0, y1 - y0) * 0.8 + 2
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    ys, xs = np.mgrid[: clean.shape[0], : clean.shape[1]]
    far = (np.abs(ys - cy) > reach) | (np.abs(xs - cx) > reach)
    assert far.mean() > 0.8
    assert np.array_equal(restored[far], degraded[far])

    assert (report.found, report.restored, report.skipped) == (1, 1, 0)
    assert report.faces[0].box == faces[0].box
    assert report.faces[0].seconds > 0
    assert reported == [0.0, 1.0]


def test_it_leaves_no_seam_at_the_edge_of_the_blend(store: ModelStore, degraded: NDArray[np.uint8]) -> None:
    restored, _ = restore_faces(degraded, store)
    changed = np.abs(restored.astype(np.int16) - degraded).max(axis=2)
    ys, xs = np.nonzero(changed)
    # The change fades out: along the border of the changed area it is a
    # level or two, not the step a pasted square would leave.
    border = np.concatenate(
        [
            changed[ys.min(), xs.min() : xs.max()],
            changed[ys.max(), xs.min() : xs.max()],
            changed[ys.min() : ys.max(), xs.min()],
            changed[ys.min() : ys.max(), xs.max()],
        ]
    )
    assert border.max() <= 2
    assert changed.max() > 20


def test_it_returns_a_photo_without_people_unchanged(store: ModelStore) -> None:
    coffee = np.asarray(cv2.resize(data.coffee(), (300, 200), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    reported: list[float] = []
    restored, report = restore_faces(coffee, store, progress=reported.append)
    assert np.array_equal(restored, coffee)
    assert (report.found, report.restored, report.skipped) == (0, 0, 0)
    assert reported[-1] == 1.0


def test_it_skips_a_face_too_small_to_restore(store: ModelStore, degraded: NDArray[np.uint8]) -> None:
    tiny = Face((20.0, 20.0, 38.0, 40.0), 0.9, np.zeros((6, 2), dtype=np.float32))
    reported: list[float] = []
    restored, report = restore_faces(degraded, store, faces=[tiny], progress=reported.append)
    assert np.array_equal(restored, degraded)
    assert (report.found, report.restored, report.skipped) == (1, 0, 1)
    assert report.faces[0].skipped_because == "smaller than 24 px"
    assert reported == [0.0, 1.0]


def test_it_restores_only_the_largest_faces_when_capped(store: ModelStore, degraded: NDArray[np.uint8]) -> None:
    small = Face((20.0, 20.0, 50.0, 52.0), 0.9, np.zeros((6, 2), dtype=np.float32))
    large = Face((150.0, 40.0, 230.0, 130.0), 0.9, np.zeros((6, 2), dtype=np.float32))
    restored, report = restore_faces(degraded, store, faces=[small, large], max_faces=1)
    assert (report.found, report.restored, report.skipped) == (2, 1, 1)
    assert report.faces[0].skipped_because == "beyond the 1 largest faces a job restores"
    assert report.faces[1].restored
    assert np.array_equal(restored[20:52, 20:50], degraded[20:52, 20:50])  # the small one is untouched


def test_it_refuses_anything_but_an_rgb_photo(store: ModelStore) -> None:
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        restore_faces(data.camera(), store)
