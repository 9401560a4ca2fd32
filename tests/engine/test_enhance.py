from __future__ import annotations

import numpy as np
import pytest

from darkroom.engine.enhance import enhance


def _scene(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:300, 0:400]
    base = np.stack([x / 400 * 200 + 20, y / 300 * 200 + 20, (x + y) / 700 * 200 + 20], axis=-1)
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def _cast(image: np.ndarray) -> float:
    means = image.reshape(-1, 3).mean(axis=0)
    return float(means.max() - means.min())


def test_it_removes_a_colour_cast() -> None:
    clean = _scene()
    tinted = np.clip(clean * np.array([1.0, 0.85, 0.65]), 0, 255).astype(np.uint8)
    fixed, report = enhance(tinted)
    assert _cast(fixed) < _cast(tinted) * 0.5
    assert report.wb_gains[2] > report.wb_gains[0]


def test_it_stretches_an_underexposed_photo() -> None:
    dark = (_scene() * 0.35).astype(np.uint8)
    fixed, _ = enhance(dark)
    assert fixed.mean() > dark.mean() * 1.8
    assert np.percentile(fixed, 99) > 200


def test_strength_zero_changes_nothing_but_is_valid() -> None:
    image = _scene()
    same, report = enhance(image, strength=0.0)
    assert np.array_equal(same, image)
    assert report.sharpen_amount == 0


def test_it_keeps_shape_and_type() -> None:
    image = _scene()
    out, _ = enhance(image)
    assert out.shape == image.shape
    assert out.dtype == np.uint8


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3), np.float32)],
)
def test_it_refuses_anything_but_rgb_uint8(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        enhance(bad)


def test_it_refuses_a_strength_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="strength"):
        enhance(_scene(), strength=1.5)
