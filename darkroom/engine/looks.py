"""Looks: film, black & white, warm, cinematic, faded, vivid — tone curves folded into lookup tables.

A look is a handful of numbers: where black and white land, how strong the
S-curve is, a colour tint for the shadows, midtones and highlights, the
saturation, and the grain. The curves become one 256-entry table per
channel (one ``cv2.LUT`` pass); only saturation and grain need a float pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.types import Image, check_image

Tint = tuple[float, float, float]
_NO_TINT: Tint = (0.0, 0.0, 0.0)
# Above this many pixels the grain is drawn at half size (see _grain).
_FULL_GRAIN_PIXELS = 4_000_000


@dataclass(frozen=True)
class Look:
    """One look. Levels and tints are fractions of full scale (0.04 is ~10 of 255 levels)."""

    name: str
    label: str
    description: str
    # Output level of pure black and pure white: lifting black is the "film" fade.
    black: float = 0.0
    white: float = 1.0
    # Input level mapped to black: crushes the deepest shadows.
    crush: float = 0.0
    # S-curve strength: 0 none, 0.3 gentle, negative flattens.
    contrast: float = 0.0
    shadows: Tint = _NO_TINT
    midtones: Tint = _NO_TINT
    highlights: Tint = _NO_TINT
    saturation: float = 1.0
    # Channel mix for black & white (weights summing to 1); None keeps colour.
    monochrome: Tint | None = None
    # Grain spread in 8-bit levels.
    grain: float = 0.0


LOOKS: dict[str, Look] = {
    look.name: look
    for look in (
        Look(
            "film",
            "Film",
            "Colour negative film: lifted blacks, gentle S-curve, cool shadows, warm highlights, fine grain.",
            black=0.055,
            white=0.97,
            contrast=0.3,
            shadows=(-0.012, 0.0, 0.02),
            highlights=(0.02, 0.005, -0.03),
            saturation=0.92,
            grain=3.0,
        ),
        Look(
            "bw",
            "Black & white",
            "Black & white through a light red filter: smoother skin, darker skies; firm contrast.",
            contrast=0.4,
            crush=0.02,
            monochrome=(0.42, 0.46, 0.12),
            grain=2.0,
        ),
        Look(
            "warm",
            "Warm",
            "Golden-hour warmth: reds up and blues down across the range, a touch more saturation.",
            contrast=0.1,
            shadows=(0.01, 0.0, -0.02),
            midtones=(0.05, 0.012, -0.06),
            highlights=(0.02, 0.0, -0.05),
            saturation=1.05,
        ),
        Look(
            "cinematic",
            "Cinematic",
            "Teal-and-orange split toning with slightly crushed blacks and muted colour.",
            crush=0.03,
            contrast=0.25,
            shadows=(-0.05, 0.02, 0.06),
            highlights=(0.05, 0.01, -0.06),
            saturation=0.9,
        ),
        Look(
            "faded",
            "Faded",
            "Faded print: lifted blacks, dimmed whites, low contrast, soft colour.",
            black=0.12,
            white=0.92,
            contrast=-0.2,
            shadows=(0.0, 0.01, 0.02),
            saturation=0.78,
            grain=1.5,
        ),
        Look(
            "vivid",
            "Vivid",
            "Punchy colour: firmer contrast and 30% more saturation.",
            contrast=0.3,
            saturation=1.3,
        ),
    )
}


def find_look(name: str) -> Look:
    """The look called ``name``; a ValueError listing the known ones otherwise."""
    try:
        return LOOKS[name]
    except KeyError:
        raise ValueError(f"unknown look {name!r}; choose one of: {', '.join(sorted(LOOKS))}") from None


def _tone(look: Look) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The neutral tone curve (0..1 for each input level) and the crushed input it was computed from."""
    x = np.clip((np.linspace(0.0, 1.0, 256) - look.crush) / (1.0 - look.crush), 0.0, 1.0)
    # Blending with smoothstep keeps the curve monotonic for contrast in (-2, 1).
    curve = (1 - look.contrast) * x + look.contrast * x * x * (3 - 2 * x)
    return look.black + (look.white - look.black) * curve, x


def look_tables(look: Look) -> Image:
    """The 256×3 uint8 tone tables of ``look`` (rows: input level; columns: R, G, B)."""
    tone, x = _tone(look)
    shadow_weight, mid_weight, highlight_weight = (1 - x) ** 2, 4 * x * (1 - x), x**2
    tables = np.empty((256, 3))
    for channel in range(3):
        tables[:, channel] = (
            tone
            + look.shadows[channel] * shadow_weight
            + look.midtones[channel] * mid_weight
            + look.highlights[channel] * highlight_weight
        )
    return np.clip(np.rint(tables * 255), 0, 255).astype(np.uint8)


def _grain(shape: tuple[int, int], spread: float, seed: int) -> NDArray[np.float32]:
    import cv2

    height, width = shape
    rng = np.random.default_rng(seed)
    # Above 4 MP the grain is drawn at half size and enlarged: film grain scales with the frame, and
    # drawing 12 M normal samples would cost more than the rest of the look.
    step = 2 if height * width > _FULL_GRAIN_PIXELS else 1
    noise = rng.standard_normal(((height + step - 1) // step, (width + step - 1) // step), dtype=np.float32)
    if step == 1:
        # Real grain is a little softer than pixel noise.
        soft = np.asarray(cv2.GaussianBlur(noise, (0, 0), 0.7), dtype=np.float32)
    else:
        soft = np.asarray(cv2.resize(noise, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    return soft * np.float32(spread / max(float(soft[::4, ::4].std()), 1e-6))


def apply_look(image: Image, look: Look | str, *, seed: int = 0) -> Image:
    """Return ``image`` with ``look`` (a Look or its name) applied; the grain is the same for the same seed.

    Black & white looks return R = G = B exactly (the channel mix, the curve
    and the grain are computed once and copied to the three channels).
    """
    import cv2

    check_image(image, "apply_look")
    chosen = look if isinstance(look, Look) else find_look(look)
    source = np.ascontiguousarray(image)

    if chosen.monochrome is not None:
        weights = np.asarray(chosen.monochrome, dtype=np.float32)
        mixed = np.asarray(cv2.transform(source, (weights / weights.sum()).reshape(1, 3)), dtype=np.uint8)
        # Tints are ignored here: a black & white look promises R = G = B.
        neutral = np.clip(np.rint(_tone(chosen)[0] * 255), 0, 255).astype(np.uint8)
        toned = np.asarray(cv2.LUT(mixed, neutral), dtype=np.uint8)
        if chosen.grain > 0:
            toned = np.asarray(cv2.add(toned, _grain(toned.shape[:2], chosen.grain, seed), dtype=cv2.CV_8U), np.uint8)
        return np.ascontiguousarray(np.repeat(toned[..., None], 3, axis=2))

    result = np.asarray(cv2.LUT(source, look_tables(chosen).reshape(256, 1, 3)), dtype=np.uint8)
    if chosen.saturation != 1.0:
        # cv2's grey conversion uses the same Rec. 601 weights; one weighted add moves each pixel
        # away from (or toward) its own grey.
        grey = cv2.cvtColor(cv2.cvtColor(result, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        result = np.asarray(cv2.addWeighted(result, chosen.saturation, grey, 1.0 - chosen.saturation, 0.0), np.uint8)
    if chosen.grain > 0:
        grain = _grain(result.shape[:2], chosen.grain, seed)
        result = np.asarray(cv2.add(result, cv2.merge([grain, grain, grain]), dtype=cv2.CV_8U), dtype=np.uint8)
    return result
