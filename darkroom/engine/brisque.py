"""BRISQUE: a no-reference technical-quality score (Mittal, Moorthy & Bovik, 2012).

The features follow the authors' MATLAB release (``brisque_feature.m``), whose
SVM and feature ranges the ``brisque`` wheel ships: mean-subtracted
contrast-normalised (MSCN) coefficients over a 7×7 Gaussian window
(σ = 7/6, zero padding as MATLAB's ``filter2``), a generalised Gaussian fit of
them, and asymmetric generalised Gaussian fits of their four neighbour
products (circular shifts, as ``circshift``), at full and half size: 36
numbers. The wheel's own Python code cannot run here (it breaks on numpy ≥
2.4 and needs libsvm's C library), so only its two model files are used.
Scores run from about 0 (pristine) to 100 (badly degraded); they can fall
slightly outside.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.models import ModelStore
from darkroom.engine.types import Image, check_image

Floats = NDArray[np.float64]

# The MATLAB code searches the shape parameter on this grid rather than
# solving for it; the SVM was trained on features found the same way.
_ALPHA_GRID = (0.2, 10.0, 0.001)
# (rows, columns) shifts of brisque_feature.m: horizontal, vertical and the two diagonals.
_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))


@dataclass(frozen=True)
class BrisqueModel:
    """The trained epsilon-SVR (RBF kernel) and the feature ranges it was trained on."""

    support_vectors: Floats  # n × 36
    coefficients: Floats  # n
    gamma: float
    rho: float
    feature_min: Floats  # 36
    feature_max: Floats  # 36


class _NoClassesUnpickler(pickle.Unpickler):
    """Reads only plain containers and numbers: any class or function in the stream is refused."""

    def find_class(self, module: str, name: str) -> Any:
        """Refuse every global: the file may build only containers and numbers."""
        raise pickle.UnpicklingError(f"brisque_normalize may hold only dicts, lists and floats, not {module}.{name}")


def _read_ranges(path: Path) -> tuple[Floats, Floats]:
    # Safe despite pickle: find_class refuses every global, so the stream can
    # build nothing but dicts, lists, strings and numbers.
    ranges = _NoClassesUnpickler(io.BytesIO(path.read_bytes())).load()
    if not isinstance(ranges, dict) or "min_" not in ranges or "max_" not in ranges:
        raise ValueError("brisque_normalize is not a dict with 'min_' and 'max_'")
    low = np.asarray(ranges["min_"], dtype=np.float64)
    high = np.asarray(ranges["max_"], dtype=np.float64)
    if low.shape != (36,) or high.shape != (36,):
        raise ValueError("brisque_normalize must hold 36 minima and 36 maxima")
    return low, high


def _read_svm(path: Path) -> tuple[Floats, Floats, float, float]:
    header: dict[str, str] = {}
    coefficients: list[float] = []
    vectors: list[Floats] = []
    in_vectors = False
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if not in_vectors:
            if parts[0] == "SV":
                in_vectors = True
            else:
                header[parts[0]] = " ".join(parts[1:])
            continue
        coefficients.append(float(parts[0]))
        # libsvm writes sparse vectors: an absent index is a zero.
        vector = np.zeros(36, dtype=np.float64)
        for pair in parts[1:]:
            index, value = pair.split(":")
            vector[int(index) - 1] = float(value)
        vectors.append(vector)
    if header.get("svm_type") != "epsilon_svr" or header.get("kernel_type") != "rbf":
        raise ValueError("brisque_svm is not an epsilon-SVR with an RBF kernel")
    if not vectors:
        raise ValueError("brisque_svm holds no support vectors")
    return np.stack(vectors), np.asarray(coefficients), float(header["gamma"]), float(header["rho"])


def load_brisque_model(store: ModelStore) -> BrisqueModel:
    """Read the SVM (libsvm text) and the feature ranges from the model store."""
    vectors, coefficients, gamma, rho = _read_svm(store.path("brisque_svm"))
    low, high = _read_ranges(store.path("brisque_normalize"))
    return BrisqueModel(vectors, coefficients, gamma, rho, low, high)


def _mscn(gray: Floats) -> Floats:
    import cv2

    # The 7×7 Gaussian of σ 7/6 that fspecial('gaussian', 7, 7/6) makes; zero padding like filter2.
    mean = cv2.GaussianBlur(gray, (7, 7), 7 / 6, borderType=cv2.BORDER_CONSTANT)
    mean_of_squares = cv2.GaussianBlur(gray * gray, (7, 7), 7 / 6, borderType=cv2.BORDER_CONSTANT)
    deviation = np.sqrt(np.abs(mean_of_squares - mean * mean))
    # C = 1 on the 0-255 scale stops flat regions dividing by zero.
    result: Floats = (gray - mean) / (deviation + 1.0)
    return result


def _alpha_grid() -> Floats:
    start, stop, step = _ALPHA_GRID
    return np.arange(start, stop + step / 2, step)


def _ggd_fit(values: Floats, grid: Floats) -> tuple[float, float]:
    """Shape and variance of a zero-mean generalised Gaussian, by moment matching on the grid."""
    from scipy.special import gamma

    ratios = gamma(1 / grid) * gamma(3 / grid) / gamma(2 / grid) ** 2
    variance = float(np.mean(values * values))
    mean_abs = float(np.mean(np.abs(values)))
    rho = variance / max(mean_abs * mean_abs, 1e-12)
    alpha = float(grid[np.argmin(np.abs(rho - ratios))])
    return alpha, variance


def _aggd_fit(values: Floats, grid: Floats) -> tuple[float, float, float, float]:
    """Shape, mean and left/right variances of an asymmetric generalised Gaussian."""
    from scipy.special import gamma

    left = values[values < 0]
    right = values[values > 0]
    left_std = float(np.sqrt(np.mean(left * left))) if left.size else 0.0
    right_std = float(np.sqrt(np.mean(right * right))) if right.size else 0.0
    gamma_hat = left_std / right_std if right_std > 0 else 1.0
    r_hat = float(np.mean(np.abs(values))) ** 2 / max(float(np.mean(values * values)), 1e-12)
    r_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1) ** 2
    ratios = gamma(2 / grid) ** 2 / (gamma(1 / grid) * gamma(3 / grid))
    alpha = float(grid[np.argmin((ratios - r_norm) ** 2)])
    constant = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    mean = float((right_std - left_std) * (gamma(2 / alpha) / gamma(1 / alpha)) * constant)
    return alpha, mean, left_std**2, right_std**2


def _half_size(gray: Floats) -> Floats:
    """Halve like MATLAB's imresize(x, 0.5): bicubic (a = -0.5) widened 2× to antialias, symmetric edges."""
    distances = np.array([3.5, 2.5, 1.5, 0.5, -0.5, -1.5, -2.5, -3.5]) / 2
    x = np.abs(distances)
    weights = np.where(x <= 1, 1.5 * x**3 - 2.5 * x**2 + 1, -0.5 * x**3 + 2.5 * x**2 - 4 * x + 2)
    weights /= weights.sum()
    padded = np.pad(gray, 4, mode="symmetric")
    rows, cols = gray.shape
    out_rows, out_cols = (rows + 1) // 2, (cols + 1) // 2
    # Output pixel k sits at input coordinate 2k + 0.5 and takes input pixels 2k-3 … 2k+4.
    vertical = sum(w * padded[1 + t : 1 + t + 2 * out_rows : 2, :] for t, w in enumerate(weights))
    result: Floats = sum(w * vertical[:, 1 + t : 1 + t + 2 * out_cols : 2] for t, w in enumerate(weights))
    return result


def _scale_features(gray: Floats, grid: Floats) -> list[float]:
    mscn = _mscn(gray)
    alpha, variance = _ggd_fit(mscn.ravel(), grid)
    features = [alpha, variance]
    for shift in _SHIFTS:
        product = (mscn * np.roll(mscn, shift, axis=(0, 1))).ravel()
        features.extend(_aggd_fit(product, grid))
    return features


def brisque_features(image: Image) -> Floats:
    """The 36 BRISQUE features of ``image`` (18 at full size, then 18 at half size)."""
    import cv2

    check_image(image, "brisque")
    # MATLAB's rgb2gray rounds to uint8 before the features are taken; so does cvtColor.
    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float64)
    grid = _alpha_grid()
    full = _scale_features(gray, grid)
    half = _scale_features(_half_size(gray), grid)
    return np.asarray(full + half, dtype=np.float64)


def brisque_predict(features: Floats, model: BrisqueModel) -> float:
    """The SVR's score for 36 raw features, scaled to [-1, 1] by the training ranges first."""
    span = np.where(model.feature_max > model.feature_min, model.feature_max - model.feature_min, 1.0)
    scaled = -1.0 + 2.0 * (features - model.feature_min) / span
    distances = np.sum((model.support_vectors - scaled) ** 2, axis=1)
    return float(model.coefficients @ np.exp(-model.gamma * distances) - model.rho)


def brisque_score(image: Image, store: ModelStore, model: BrisqueModel | None = None) -> float:
    """BRISQUE score of ``image``: ~0 pristine, ~100 badly degraded (lower is better).

    Pass ``model`` (from ``load_brisque_model``) to score many photos without
    re-reading the model files. The score depends on resolution; the model
    was trained on the LIVE database's ~768×512 photos, so score a photo near
    that size for figures comparable with the literature.
    """
    return brisque_predict(brisque_features(image), model or load_brisque_model(store))
