"""Moderation with open_nsfw on ordinary photos, and its threshold."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from darkroom.engine.models import ModelStore
from darkroom.engine.moderate import moderate, nsfw_score
from tests.engine.conftest import rgb

ORDINARY = [data.astronaut, data.camera, data.coffee, data.rocket, data.chelsea, data.hubble_deep_field]


@pytest.mark.parametrize("photo", ORDINARY, ids=lambda load: load.__name__)
def test_it_lets_ordinary_photos_through(photo: object, store: ModelStore) -> None:
    verdict = moderate(rgb(photo()), store, threshold=0.8)  # type: ignore[operator]
    assert verdict.allowed
    assert verdict.nsfw_score < 0.2


def test_its_score_is_a_probability_that_moves_with_the_content(store: ModelStore) -> None:
    # No explicit image ships with any package (rightly); what can be shown is
    # that the score is the network's and not a constant: a skin-coloured
    # field scores far higher than a rocket launch.
    skin = np.full((400, 400, 3), (224, 172, 140), np.uint8)
    assert 0.0 <= nsfw_score(data.rocket(), store) < nsfw_score(skin, store) <= 1.0
    assert nsfw_score(skin, store) > 10 * nsfw_score(data.rocket(), store)


def test_the_threshold_decides(store: ModelStore) -> None:
    score = nsfw_score(data.astronaut(), store)
    assert not moderate(data.astronaut(), store, threshold=score / 2).allowed
    assert moderate(data.astronaut(), store, threshold=min(1.0, score * 2 + 0.01)).allowed


@pytest.mark.parametrize("threshold", [0.0, -0.5, 1.5])
def test_it_refuses_a_threshold_that_is_not_a_probability(threshold: float, store: ModelStore) -> None:
    with pytest.raises(ValueError, match="threshold"):
        moderate(data.astronaut(), store, threshold=threshold)
