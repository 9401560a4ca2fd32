"""Engine fixtures: the real model files and real photos that packages ship."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from skimage import data

from darkroom.engine.models import ModelStore


@pytest.fixture(scope="session")
def store() -> ModelStore:
    """The models `make test` fetched (tests/settings.py points at them); a missing one fails, never skips."""
    models = ModelStore(Path(settings.MODELS_DIR), threads=2)
    missing = models.missing()
    if missing:
        pytest.fail(f"model files missing from {models.root}: {', '.join(missing)}. Run: darkroom models fetch")
    return models


def rgb(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([image] * 3, axis=-1) if image.ndim == 2 else image[..., :3])


# Real photographs that scikit-image ships (no download): people, and none.
PORTRAITS = {"astronaut": data.astronaut, "camera": data.camera}
NO_PEOPLE = {
    "coffee": data.coffee,
    "rocket": data.rocket,
    "chelsea": data.chelsea,
    "motorcycle": data.stereo_motorcycle,
}


@pytest.fixture(params=sorted(PORTRAITS))
def portrait(request: pytest.FixtureRequest) -> np.ndarray:
    return rgb(PORTRAITS[request.param]())


@pytest.fixture(params=sorted(NO_PEOPLE))
def no_people(request: pytest.FixtureRequest) -> np.ndarray:
    loaded = NO_PEOPLE[request.param]()
    return rgb(loaded[0] if isinstance(loaded, tuple) else loaded)


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's astronaut portrait: one face, a person on a studio backdrop."""
    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def astronaut_mask(astronaut: np.ndarray, store: ModelStore) -> np.ndarray:
    """Her person mask, from the real models (segment.person_mask)."""
    from darkroom.engine.segment import person_mask

    return person_mask(astronaut, store)
