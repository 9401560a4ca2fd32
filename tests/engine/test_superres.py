"""Upscaling with the real Real-ESRGAN networks on scikit-image's photos, kept small: x4plus is slow on a CPU."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from darkroom.engine import superres
from darkroom.engine.models import ModelStore
from darkroom.engine.superres import estimate_seconds, upscale
from tests.engine.conftest import rgb


def shrink(image: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def edge_strength(image: NDArray[np.uint8], edges: NDArray[np.bool_]) -> float:
    """Mean gradient magnitude on the given edge pixels: how crisp those edges are."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    magnitude = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    return float(magnitude[edges].mean())


def seam_jump(image: NDArray[np.uint8], step: int) -> float:
    """Mean change across the rows and columns where tiles of ``step`` output pixels meet."""
    pixels = image.astype(np.float32)
    rows = [np.abs(pixels[y] - pixels[y - 1]).mean() for y in range(step, image.shape[0], step)]
    cols = [np.abs(pixels[:, x] - pixels[:, x - 1]).mean() for x in range(step, image.shape[1], step)]
    return float(np.mean(rows + cols))


@pytest.mark.parametrize(("model", "scale"), [("quality", 4), ("quality", 2), ("fast", 2)])
def test_it_enlarges_exactly_scale_times_and_keeps_the_photo(store: ModelStore, model: str, scale: int) -> None:
    small = shrink(data.coffee(), 96, 64)
    big = upscale(small, store, scale=scale, model=model)
    assert big.shape == (64 * scale, 96 * scale, 3)
    assert big.dtype == np.uint8
    # Shrunk back, it is the input again: a swapped channel, an offset tile or
    # a wrong value range would cost far more than these dB.
    back = shrink(big, 96, 64)
    assert peak_signal_noise_ratio(small, back) > 28
    for channel in range(3):
        assert abs(float(back[..., channel].mean()) - float(small[..., channel].mean())) < 3


@pytest.mark.parametrize("photo", ["astronaut", "chelsea"])
def test_it_restores_crisper_edges_than_bicubic(store: ModelStore, photo: str) -> None:
    original = rgb(getattr(data, photo)())[:256, :256]
    small = shrink(original, 64, 64)
    enlarged = upscale(small, store, scale=4, model="quality")
    bicubic = np.asarray(cv2.resize(small, (256, 256), interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    grey = cv2.cvtColor(original, cv2.COLOR_RGB2GRAY).astype(np.float32)
    magnitude = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    edges = magnitude > np.percentile(magnitude, 90)
    # Measured here on 256² crops of astronaut, chelsea, coffee, rocket and
    # camera: x4plus brings the original's strongest edges back to 55-105% of
    # their crispness, 1.6-3× what bicubic reaches (20-60%). On PSNR and SSIM
    # bicubic wins by 2-3 dB / ~0.05 on this clean shrink (the GAN draws
    # plausible texture, not the exact one), so those are not what is claimed.
    sharp = edge_strength(original, edges)
    assert edge_strength(enlarged, edges) > 1.4 * edge_strength(bicubic, edges)
    assert edge_strength(enlarged, edges) > 0.6 * sharp
    assert structural_similarity(original, enlarged, channel_axis=2) > 0.5


def test_it_leaves_no_seams_between_tiles(store: ModelStore, monkeypatch: pytest.MonkeyPatch) -> None:
    small = shrink(data.coffee(), 64, 64)
    whole = upscale(small, store, scale=2, model="quality", tile=64)
    tiled = upscale(small, store, scale=2, model="quality", tile=32)
    assert peak_signal_noise_ratio(whole, tiled) > 40
    assert seam_jump(tiled, 64) < 1.1 * seam_jump(whole, 64)

    # The measure does see seams: without the context margin they show.
    monkeypatch.setattr(superres, "_MARGIN", 0)
    seamed = upscale(small, store, scale=2, model="quality", tile=32)
    assert seam_jump(seamed, 64) > 1.3 * seam_jump(whole, 64)


def test_it_reports_progress_per_tile_up_to_one(store: ModelStore) -> None:
    reported: list[float] = []
    upscale(shrink(data.chelsea(), 150, 100), store, scale=2, model="fast", tile=48, progress=reported.append)
    # 150×100 in tiles of at most 48: 4 × 3 tiles, each reported, after a 0.
    assert len(reported) == 1 + 12
    assert reported == sorted(reported)
    assert reported[0] == 0.0
    assert reported[-1] == 1.0


def test_it_refuses_a_photo_over_the_callers_limit(store: ModelStore) -> None:
    photo = rgb(data.astronaut())
    with pytest.raises(ValueError, match="262,144") as refused:
        upscale(photo, store, scale=2, model="fast", max_input_pixels=262_143)
    assert "262,143" in str(refused.value)
    assert upscale(photo[:64, :64], store, scale=2, model="fast", max_input_pixels=64 * 64).shape == (128, 128, 3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scale": 4, "model": "fast"}, "does 2×, not 4×"),
        ({"scale": 3, "model": "quality"}, "2× or 4×"),
        ({"scale": 2, "model": "gfpgan"}, "must be one of fast, quality"),
        ({"scale": 2, "tile": 8}, "at least 16"),
    ],
)
def test_it_refuses_a_scale_model_or_tile_it_does_not_have(
    store: ModelStore, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        upscale(shrink(data.coffee(), 32, 32), store, **options)  # type: ignore[arg-type]


def test_it_refuses_anything_but_an_rgb_photo(store: ModelStore) -> None:
    with pytest.raises(ValueError, match="H×W×3 uint8"):
        upscale(data.camera(), store)


def test_it_estimates_more_time_for_more_pixels_the_slower_network_and_fewer_threads() -> None:
    small = estimate_seconds(512, 512, 4, "quality")
    assert estimate_seconds(1024, 1024, 4, "quality") > 3.5 * small
    assert estimate_seconds(512, 512, 2, "quality") == small  # 2× costs the 4× run
    assert estimate_seconds(512, 512, 2, "fast") < small / 10
    assert estimate_seconds(512, 512, 4, "quality", threads=1) > small
    with pytest.raises(ValueError, match="does 2×"):
        estimate_seconds(512, 512, 4, "fast")
