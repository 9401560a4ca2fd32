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


def test_it_leaves_the_colour_and_exposure_of_a_clean_photo_alone(portrait: np.ndarray, no_people: np.ndarray) -> None:
    for photo in (portrait, no_people):
        _, report = enhance(photo)
        assert report.wb_gains == (1.0, 1.0, 1.0)
        assert report.gamma == 1.0
        assert report.white_point > 245


def test_it_denoises_only_a_photo_that_measures_noisy(no_people: np.ndarray) -> None:
    noisy = np.clip(no_people + np.random.default_rng(3).normal(0, 12, no_people.shape), 0, 255).astype(np.uint8)
    _, clean_report = enhance(no_people)
    _, noisy_report = enhance(noisy)
    assert clean_report.noise_sigma < 2.0
    assert clean_report.denoise == 0
    # Luma carries about two thirds of independent RGB noise: σ 12 per channel is ≈ 8 in luma.
    assert 6.0 < noisy_report.noise_sigma < 11.0
    assert noisy_report.denoise == 1.0


def test_it_sharpens_a_noisy_photo_less_than_a_clean_one(no_people: np.ndarray) -> None:
    noisy = np.clip(no_people + np.random.default_rng(3).normal(0, 12, no_people.shape), 0, 255).astype(np.uint8)
    assert enhance(noisy)[1].sharpen_amount < enhance(no_people)[1].sharpen_amount * 0.8


def test_it_lifts_the_mid_tones_of_a_dark_photo_whose_highlights_are_not_clipped() -> None:
    # A dark scene with a lamp in it: the levels cannot stretch (a highlight is already white), a gamma can.
    scene = _scene()
    dark = (255 * (scene / 255.0) ** 3).astype(np.uint8)
    dark[:20, :20] = 255
    fixed, report = enhance(dark)
    assert report.gamma < 1.0
    assert np.median(fixed) > np.median(dark) * 1.3


def test_strength_scales_the_correction() -> None:
    dark = (_scene() * 0.35).astype(np.uint8)
    means = [float(enhance(dark, strength=strength)[0].mean()) for strength in (0.0, 0.5, 1.0)]
    assert means[0] < means[1] < means[2]


def test_it_enhances_a_large_photo_with_the_same_corrections_as_a_small_one() -> None:
    # A large photo takes the half-size paths (chroma denoise, local contrast); its corrections must match.
    small = np.clip(_scene() * np.array([0.5, 0.45, 0.35]), 0, 255).astype(np.uint8)
    large = np.ascontiguousarray(np.repeat(np.repeat(small, 6, axis=0), 6, axis=1))  # 2400×1800, 4.3 MP
    small_fixed, small_report = enhance(small)
    large_fixed, large_report = enhance(large)
    assert np.allclose(small_report.wb_gains, large_report.wb_gains, atol=0.05)
    assert abs(small_fixed.mean() - large_fixed.mean()) < 4


def test_it_leaves_the_callers_array_as_it_was_even_a_read_only_one() -> None:
    # np.asarray of a PIL image (what the worker passes) is read-only.
    dark = np.clip(_scene() * np.array([0.5, 0.45, 0.35]), 0, 255).astype(np.uint8)
    before = dark.copy()
    dark.setflags(write=False)
    fixed, _ = enhance(dark)
    assert np.array_equal(dark, before)
    assert not np.shares_memory(fixed, dark)
