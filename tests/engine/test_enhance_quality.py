"""Enhancement on real photos (scikit-image's samples), degraded the way phones degrade them."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio as psnr

from darkroom.engine.enhance import enhance

PHOTOS = {"astronaut": data.astronaut, "coffee": data.coffee, "rocket": data.rocket}


@pytest.fixture(params=sorted(PHOTOS))
def photo(request: pytest.FixtureRequest) -> np.ndarray:
    return PHOTOS[request.param]()


def _degrade(photo: np.ndarray, factors: tuple[float, float, float]) -> np.ndarray:
    return np.clip(photo * np.array(factors), 0, 255).astype(np.uint8)


def test_it_brings_an_underexposed_photo_back(photo: np.ndarray) -> None:
    dark = _degrade(photo, (0.45, 0.45, 0.45))
    assert psnr(photo, enhance(dark)[0]) > psnr(photo, dark) + 4


def test_it_corrects_a_warm_colour_cast(photo: np.ndarray) -> None:
    warm = _degrade(photo, (1.0, 0.9, 0.7))
    assert psnr(photo, enhance(warm)[0]) > psnr(photo, warm) + 2


def test_it_leaves_a_good_photo_close_to_how_it_was(photo: np.ndarray) -> None:
    # Sharpening and a small levels stretch change pixels; they must not change the picture.
    assert psnr(photo, enhance(photo)[0]) > 20
