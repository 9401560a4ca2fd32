"""BRISQUE on real photos with the wheel's real SVM: the reference package's code cannot run on numpy ≥ 2.4,
so the tests check what the score must do rather than compare numbers with it."""

from __future__ import annotations

import itertools
import pickle
import time
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from darkroom.engine.brisque import (
    BrisqueModel,
    _read_ranges,
    brisque_features,
    brisque_predict,
    brisque_score,
    load_brisque_model,
)
from darkroom.engine.models import ModelStore
from tests.engine.conftest import rgb

PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "rocket")


@cache
def _photo(name: str) -> np.ndarray:
    return rgb(getattr(data, name)())


@pytest.fixture(scope="module")
def model(store: ModelStore) -> BrisqueModel:
    return load_brisque_model(store)


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED), dtype=np.uint8)


def _noisy(image: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(image + np.random.default_rng(3).normal(0, sigma, image.shape), 0, 255).astype(np.uint8)


def test_it_reads_the_libsvm_model_and_the_feature_ranges(model: BrisqueModel) -> None:
    assert model.support_vectors.shape == (770, 36)
    assert model.coefficients.shape == (770,)
    assert model.gamma == pytest.approx(0.05)
    assert model.rho == pytest.approx(-155.845)
    assert np.all(model.feature_max > model.feature_min)


def test_it_refuses_a_ranges_file_that_would_run_code(tmp_path: Path) -> None:
    hostile = tmp_path / "normalize.pickle"
    hostile.write_bytes(pickle.dumps({"min_": [0.0] * 36, "max_": [1.0] * 36, "run": Path}))
    with pytest.raises(pickle.UnpicklingError):
        _read_ranges(hostile)


def test_its_features_of_clean_photos_fall_inside_the_training_ranges(model: BrisqueModel) -> None:
    # The ranges are the extremes over the LIVE training photos: real photos
    # scaled by them land in [-1, 1] give or take, so a wrong feature order
    # or a variance where a deviation belongs would stand out here.
    for name in PHOTOS:
        features = brisque_features(_photo(name))
        scaled = -1 + 2 * (features - model.feature_min) / (model.feature_max - model.feature_min)
        assert np.mean(np.abs(scaled) <= 1.0) >= 0.9, name
        assert np.all(np.abs(scaled) <= 1.6), name


@pytest.mark.parametrize(
    "degrade",
    [
        lambda image, level: cv2.GaussianBlur(image, (0, 0), (0.8, 1.6, 3.2)[level]),
        lambda image, level: _noisy(image, (10, 20, 35)[level]),
        lambda image, level: _jpeg(image, (40, 15, 5)[level]),
    ],
    ids=["blur", "noise", "jpeg"],
)
def test_its_score_rises_as_a_photo_is_degraded(store: ModelStore, model: BrisqueModel, degrade: object) -> None:
    for name in PHOTOS:
        image = _photo(name)
        scores = [brisque_score(image, store, model)]
        scores += [brisque_score(degrade(image, level), store, model) for level in range(3)]  # type: ignore[operator]
        assert all(a < b for a, b in itertools.pairwise(scores)), (name, scores)


def test_it_scores_clean_photos_well_below_heavily_degraded_ones(store: ModelStore, model: BrisqueModel) -> None:
    clean = [brisque_score(_photo(name), store, model) for name in PHOTOS]
    degraded = [brisque_score(_jpeg(cv2.GaussianBlur(_photo(name), (0, 0), 2.0), 10), store, model) for name in PHOTOS]
    assert max(clean) < 30
    assert min(degraded) > 55
    assert max(clean) + 25 < min(degraded)


def test_it_predicts_from_the_scaled_features_with_the_rbf_kernel(model: BrisqueModel) -> None:
    features = brisque_features(_photo("chelsea"))
    scaled = -1 + 2 * (features - model.feature_min) / (model.feature_max - model.feature_min)
    by_hand = sum(
        coefficient * np.exp(-model.gamma * np.sum((vector - scaled) ** 2))
        for coefficient, vector in zip(model.coefficients, model.support_vectors, strict=True)
    )
    assert brisque_predict(features, model) == pytest.approx(by_hand - model.rho)


def test_it_scores_a_512_pixel_photo_in_well_under_a_second(store: ModelStore, model: BrisqueModel) -> None:
    image = cv2.resize(_photo("coffee"), (512, 512), interpolation=cv2.INTER_AREA)
    brisque_score(image, store, model)
    start = time.perf_counter()
    brisque_score(image, store, model)
    assert time.perf_counter() - start < 0.5
