"""Backdrops for scene portraits, generated in code: seamless paper, gradients, bokeh, sky, window light.

Every preset is a function of (preset, width, height, seed) and nothing else,
so a job re-run gives the same picture. Positions and sizes are fractions of
the frame, so one seed gives the same composition at any size. The smooth
part of each backdrop is drawn at most ``_WORK_SIDE`` pixels wide and
enlarged (it holds no detail to lose); only the paper grain, which doubles
as dither against banding in the gradients, is drawn at full size.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.types import Image

Field = NDArray[np.float32]
Colour = tuple[float, float, float]
Rng = np.random.Generator

# A 1080×1350 backdrop drawn at 640 on its long side and enlarged is
# indistinguishable from one drawn full size, and 4× cheaper.
_WORK_SIDE = 640
# Grain in 8-bit levels: below ~0.8 gradients band on 8-bit screens, above
# ~3 the paper reads as noisy.
_GRAIN = 1.6
_MAX_SIDE = 16384


@dataclass(frozen=True)
class BackdropPreset:
    """One entry of the backdrop library: what the user picks and how it is drawn."""

    name: str
    label: str
    description: str
    kind: str
    colours: tuple[Colour, ...]


def _rgb(hex_colour: str) -> Colour:
    value = int(hex_colour.lstrip("#"), 16)
    return ((value >> 16 & 255) / 255, (value >> 8 & 255) / 255, (value & 255) / 255)


def _preset(name: str, label: str, description: str, kind: str, *colours: str) -> tuple[str, BackdropPreset]:
    return name, BackdropPreset(name, label, description, kind, tuple(_rgb(c) for c in colours))


PRESETS: dict[str, BackdropPreset] = dict(
    [
        _preset(
            "studio-grey", "Studio grey", "Mid-grey seamless with a soft spotlight and vignette.", "seamless", "#6e7073"
        ),
        _preset("paper-white", "White paper", "Bright white seamless paper, gentle falloff.", "paper", "#eceae6"),
        _preset(
            "paper-charcoal", "Charcoal paper", "Deep charcoal seamless paper for moody light.", "paper", "#34363a"
        ),
        _preset("paper-teal", "Teal paper", "Muted teal seamless paper.", "paper", "#3f7f82"),
        _preset("paper-blush", "Blush paper", "Soft pink seamless paper.", "paper", "#dcb2aa"),
        _preset("paper-mustard", "Mustard paper", "Warm mustard-yellow seamless paper.", "paper", "#c99a3a"),
        _preset("paper-navy", "Navy paper", "Dark navy seamless paper.", "paper", "#23314f"),
        _preset(
            "gradient-ocean",
            "Ocean gradient",
            "Two-tone diagonal gradient, navy to teal.",
            "gradient",
            "#1d2b53",
            "#3aa1a0",
        ),
        _preset(
            "gradient-peach",
            "Peach gradient",
            "Two-tone diagonal gradient, peach to lilac.",
            "gradient",
            "#f3b08e",
            "#9d8ac7",
        ),
        _preset(
            "bokeh-night",
            "Night bokeh",
            "Out-of-focus lights in many colours on a dark background.",
            "bokeh",
            "#0c0d16",
            "#ffcf7a",
            "#7ab8ff",
            "#ff7aa8",
            "#ffffff",
        ),
        _preset(
            "bokeh-warm",
            "Warm bokeh",
            "Golden out-of-focus fairy lights on a warm brown background.",
            "bokeh",
            "#3a2414",
            "#ffd27f",
            "#ffb35c",
            "#fff1c9",
        ),
        _preset(
            "sunset",
            "Sunset sky",
            "Evening sky from deep blue to orange with a low sun glow and soft clouds.",
            "sky",
            "#1b2450",
            "#6b4a7e",
            "#f08a4b",
            "#ffd58a",
        ),
        _preset(
            "window-light",
            "Loft window light",
            "Warm plaster wall lit by soft window panes falling from the upper left.",
            "window",
            "#6d6156",
            "#ffe6c4",
        ),
        _preset(
            "city-night",
            "Night city",
            "Blue-hour city: small street and window lights far out of focus.",
            "city",
            "#0d1630",
            "#2a1838",
            "#ffb347",
            "#ffffff",
            "#ff4d4d",
            "#59d3ff",
        ),
    ]
)


def _grid(width: int, height: int) -> tuple[Field, Field]:
    """Pixel-centre coordinates: x in [0, 1] across, y in [0, 1] down."""
    xs = ((np.arange(width, dtype=np.float32) + 0.5) / width)[None, :]
    ys = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
    return np.broadcast_to(xs, (height, width)), np.broadcast_to(ys, (height, width))


def _smooth_noise(rng: Rng, width: int, height: int, cells: tuple[int, int]) -> Field:
    """Low-frequency noise with unit spread: a coarse random grid enlarged bicubically."""
    import cv2

    coarse = rng.standard_normal((cells[1], cells[0])).astype(np.float32)
    field = np.asarray(cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC), dtype=np.float32)
    return field / max(float(field.std()), 1e-6)


def _tint(base: Colour, shade: Field) -> Field:
    return np.asarray(shade[..., None] * np.asarray(base, dtype=np.float32), dtype=np.float32)


def _seamless(preset: BackdropPreset, rng: Rng, width: int, height: int, spot: float) -> Field:
    x, y = _grid(width, height)
    aspect = width / height
    # A light aimed a little above centre, as a key light on a person's face would be.
    r2 = ((x - 0.5) * aspect) ** 2 + (y - 0.42) ** 2
    shade = 1.0 + spot * (np.exp(-r2 * 2.2) - 0.5) - 0.06 * y + 0.012 * _smooth_noise(rng, width, height, (5, 6))
    # White paper lit this way would clip to a flat blotch; dim it so the brightest spot stays under 97%.
    peak = float(shade.max()) * max(preset.colours[0])
    return _tint(preset.colours[0], (shade * min(1.0, 0.97 / peak)).astype(np.float32))


def _draw_seamless(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    return _seamless(preset, rng, width, height, spot=0.5)


def _draw_paper(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    return _seamless(preset, rng, width, height, spot=0.15)


def _draw_gradient(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    x, y = _grid(width, height)
    angle = rng.uniform(0.35, 0.65) * np.pi
    t = np.clip(0.5 + (x - 0.5) * np.cos(angle) + (y - 0.5) * np.sin(angle), 0.0, 1.0)
    t = t * t * (3 - 2 * t)
    a, b = (np.asarray(c, dtype=np.float32) for c in preset.colours[:2])
    return np.asarray(a + t[..., None] * (b - a), dtype=np.float32)


def _discs(
    field: Field, rng: Rng, count: int, palette: tuple[Colour, ...], size: tuple[float, float], band: float
) -> None:
    """Add out-of-focus highlights: soft discs with the brighter rim a real lens gives them."""
    height, width = field.shape[:2]
    side = min(width, height)
    for _ in range(count):
        radius = rng.uniform(*size) * side
        cx, cy = rng.uniform(-0.05, 1.05) * width, rng.uniform(1 - band, 1.05) * height
        colour = np.asarray(palette[rng.integers(len(palette))], dtype=np.float32) * rng.uniform(0.85, 1.0, 3)
        strength = rng.uniform(0.15, 0.55)
        x0, x1 = max(int(cx - radius - 2), 0), min(int(cx + radius + 3), width)
        y0, y1 = max(int(cy - radius - 2), 0), min(int(cy + radius + 3), height)
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2) / radius
        disc = np.clip((1.0 - d) * radius * 0.5, 0.0, 1.0) * (0.8 + 0.35 * np.clip(d, 0.0, 1.0) ** 4)
        patch = field[y0:y1, x0:x1]
        # Screen blend: light adds up but never past white.
        patch[:] = 1 - (1 - patch) * (1 - strength * disc[..., None] * colour)


def _draw_bokeh(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    import cv2

    x, y = _grid(width, height)
    base = np.asarray(preset.colours[0], dtype=np.float32)
    shade = (
        1.0
        + 0.6 * np.exp(-(((x - 0.5) * 1.4) ** 2 + (y - 0.45) ** 2) * 3)
        + 0.1 * _smooth_noise(rng, width, height, (4, 5))
    )
    field = np.ascontiguousarray(shade[..., None] * base, dtype=np.float32)
    _discs(field, rng, 28, preset.colours[1:], (0.05, 0.12), band=1.05)
    _discs(field, rng, 45, preset.colours[1:], (0.02, 0.05), band=1.05)
    return np.asarray(cv2.GaussianBlur(field, (0, 0), min(width, height) * 0.006), dtype=np.float32)


def _draw_sky(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    x, y = _grid(width, height)
    stops = np.array([0.0, 0.45, 0.8, 1.0], dtype=np.float32)
    colours = np.asarray(preset.colours, dtype=np.float32)
    field = np.stack([np.interp(y, stops, colours[:, c]) for c in range(3)], axis=-1).astype(np.float32)
    sun_x = rng.uniform(0.25, 0.75)
    glow = np.exp(-(((x - sun_x) * width / height) ** 2 + (y - 0.92) ** 2) * 9)[..., None]
    field = 1 - (1 - field) * (1 - 0.7 * glow * np.asarray(preset.colours[3], dtype=np.float32))
    # Clouds: stretched noise, darker and cooler than the sky behind them, thinning toward the top.
    clouds = np.clip(_smooth_noise(rng, width, height, (4, 14)) - 0.4, 0.0, None) * (0.25 + 0.6 * y)
    field = field * (1 - 0.18 * clouds[..., None]) + 0.05 * clouds[..., None] * np.asarray([0.9, 0.5, 0.6], np.float32)
    return np.asarray(field, dtype=np.float32)


def _draw_window(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    import cv2

    x, y = _grid(width, height)
    wall = np.asarray(preset.colours[0], dtype=np.float32)
    light = np.asarray(preset.colours[1], dtype=np.float32)
    panes = np.zeros((height, width), dtype=np.float32)
    # Four panes of a window up and to the left, projected on the wall as a sheared grid.
    left, top, shear = rng.uniform(0.08, 0.3), rng.uniform(0.05, 0.15), rng.uniform(0.25, 0.45)
    pane_w, pane_h, bar = 0.2, 0.24, 0.03
    for row in range(2):
        for col in range(2):
            px, py = left + col * (pane_w + bar), top + row * (pane_h + bar)
            corners = [(px, py), (px + pane_w, py), (px + pane_w, py + pane_h), (px, py + pane_h)]
            shifted = [(cx + shear * (cy - top), cy) for cx, cy in corners]
            points = np.array([[cx * width, cy * height] for cx, cy in shifted], dtype=np.int32)
            cv2.fillPoly(panes, [points], 1.0)
    panes = np.asarray(cv2.GaussianBlur(panes, (0, 0), min(width, height) * 0.025), dtype=np.float32)
    falloff = np.exp(-((x - 0.3) ** 2 + (y - 0.3) ** 2) * 2.5)
    shade = 0.75 + 0.3 * falloff - 0.15 * y + 0.02 * _smooth_noise(rng, width, height, (6, 7))
    field = shade[..., None] * wall + (0.55 * panes * (0.6 + 0.4 * falloff))[..., None] * light
    return np.asarray(field, dtype=np.float32)


def _draw_city(preset: BackdropPreset, rng: Rng, width: int, height: int) -> Field:
    import cv2

    _, y = _grid(width, height)
    top, bottom = (np.asarray(c, dtype=np.float32) for c in preset.colours[:2])
    field = np.ascontiguousarray(top + y[..., None] * (bottom - top), dtype=np.float32)
    _discs(field, rng, 140, preset.colours[2:], (0.012, 0.035), band=0.65)
    _discs(field, rng, 18, preset.colours[2:], (0.04, 0.08), band=0.8)
    return np.asarray(cv2.GaussianBlur(field, (0, 0), min(width, height) * 0.004), dtype=np.float32)


_DRAW: dict[str, Callable[[BackdropPreset, Rng, int, int], Field]] = {
    "seamless": _draw_seamless,
    "paper": _draw_paper,
    "gradient": _draw_gradient,
    "bokeh": _draw_bokeh,
    "sky": _draw_sky,
    "window": _draw_window,
    "city": _draw_city,
}


def find_preset(name: str) -> BackdropPreset:
    """The preset called ``name``; a ValueError listing the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(
            f"unknown scene preset {name!r}; choose one of: {known}. "
            "Free-text scene descriptions need a remote AI provider; the local engine offers these presets."
        ) from None


def render_backdrop(preset: str | BackdropPreset, width: int, height: int, seed: int = 0) -> Image:
    """Draw ``preset`` at ``width``×``height`` (H×W×3 uint8 RGB); the same arguments give the same pixels."""
    import cv2

    chosen = preset if isinstance(preset, BackdropPreset) else find_preset(preset)
    if not (8 <= width <= _MAX_SIDE and 8 <= height <= _MAX_SIDE):
        raise ValueError(f"a backdrop must be between 8 and {_MAX_SIDE} pixels on each side, not {width}×{height}")
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(chosen.name.encode())])
    scale = min(1.0, _WORK_SIDE / max(width, height))
    work_w, work_h = max(8, round(width * scale)), max(8, round(height * scale))
    field = _DRAW[chosen.kind](chosen, rng, work_w, work_h)
    if (work_w, work_h) != (width, height):
        field = np.asarray(cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    grain = rng.standard_normal((height, width), dtype=np.float32) * _GRAIN
    pixels = field * 255.0 + grain[..., None]
    return np.clip(pixels + 0.5, 0, 255).astype(np.uint8)
