"""Super-resolution: 2× and 4× with Real-ESRGAN on ncnn (CPU), tile by tile.

Two networks: ``quality`` is RealESRGAN_x4plus (the photo model, 4× natively;
2× is its 4× output halved with an area filter, which costs the same as 4×
and keeps its detail) and ``fast`` is realesr-animevideov3-x2, the compact
network, 2× only and ~35× cheaper per pixel. Running it twice for 4× would
feed a GAN its own output and double its artefacts, so ``fast`` refuses 4×.

The photo is cut into tiles; each is run with a margin of real context
around it (the margin's output is thrown away), so no seam shows where two
tiles meet and memory stays bounded by the tile size, whatever the photo's.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from darkroom.engine.models import ModelStore
from darkroom.engine.types import Image, Progress, check_image, no_progress


@dataclass(frozen=True)
class _Network:
    name: str
    native: int
    scales: tuple[int, ...]
    tile: int
    # Seconds per processed input pixel (tile plus margin) with 1 and 2 ncnn
    # threads, measured on this project's 2-core machine by timing ``upscale``
    # at the default tile with both cores free: x4plus on 128², 256² and 512²
    # (512² at 4×: 71-78 s), animevideov3-x2 on 512² and 1024² (1024²: 7.9 s).
    # They are a floor: with another busy process on the cores, 2-thread ncnn
    # ran 3-5× slower here (each layer's OpenMP threads wait for each other).
    cost_1_thread: float
    cost_2_threads: float


# Default tiles: the cheapest per pixel here once the margin is counted;
# x4plus costs more per pixel past ~100² (its 64-channel maps outgrow the cache).
NETWORKS = {
    "quality": _Network("realesrgan-x4plus", 4, (2, 4), 96, 330e-6, 195e-6),
    "fast": _Network("realesr-animevideov3-x2", 2, (2,), 192, 8.0e-6, 5.5e-6),
}
# Real-ESRGAN's own tiling (tile_pad=10 in RealESRGANer, prepadding 10 in
# realesrgan-ncnn-vulkan): 10 px of context is enough for the seams to vanish.
_MARGIN = 10
_MIN_TILE = 16


@dataclass(frozen=True)
class _Tile:
    """A tile (x0, y0)-(x1, y1) of the input and the context window (cx0, cy0)-(cx1, cy1) it is run in."""

    x0: int
    y0: int
    x1: int
    y1: int
    cx0: int
    cy0: int
    cx1: int
    cy1: int

    @property
    def processed_pixels(self) -> int:
        return (self.cx1 - self.cx0) * (self.cy1 - self.cy0)


def _spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Cut ``length`` into near-equal spans of at most ``tile`` (no thin leftover strip at the end)."""
    count = max(1, math.ceil(length / tile))
    edges = [round(i * length / count) for i in range(count + 1)]
    return list(itertools.pairwise(edges))


def _plan(width: int, height: int, tile: int, margin: int = _MARGIN) -> list[_Tile]:
    tiles = []
    for y0, y1 in _spans(height, tile):
        for x0, x1 in _spans(width, tile):
            context = (max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin))
            tiles.append(_Tile(x0, y0, x1, y1, *context))
    return tiles


def _network(model: str, scale: int) -> _Network:
    if model not in NETWORKS:
        raise ValueError(f"upscale model must be one of {', '.join(sorted(NETWORKS))}, not {model!r}")
    network = NETWORKS[model]
    if scale not in network.scales:
        supported = " or ".join(f"{s}×" for s in network.scales)
        raise ValueError(f"the {model!r} upscale model does {supported}, not {scale}×")
    return network


def _infer(net: Any, patch: Image) -> Image:
    """One pass of the network: uint8 RGB in, uint8 RGB at its native scale out."""
    import ncnn

    # The networks take RGB in [0, 1] (RealESRGANer converts OpenCV's BGR to
    # RGB before the model, and realesrgan-ncnn-vulkan reads PIXEL_RGB).
    planar = np.ascontiguousarray(patch.transpose(2, 0, 1), dtype=np.float32) / np.float32(255.0)
    extractor = net.create_extractor()
    extractor.input("data", ncnn.Mat(planar))
    status, out = extractor.extract("output")
    if status != 0:
        raise RuntimeError(f"ncnn failed on a {patch.shape[1]}×{patch.shape[0]} tile (status {status})")
    # The GAN overshoots a little past [0, 1] on strong edges.
    result = np.clip(np.array(out) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(result.transpose(1, 2, 0))


def upscale(
    image: Image,
    store: ModelStore,
    *,
    scale: int = 4,
    model: str | None = None,
    tile: int | None = None,
    max_input_pixels: int | None = None,
    progress: Progress = no_progress,
) -> Image:
    """Return ``image`` (H×W×3 uint8 RGB) enlarged ``scale`` times with Real-ESRGAN.

    ``model``: ``"quality"`` (RealESRGAN_x4plus, 2× or 4×) or ``"fast"``
    (realesr-animevideov3-x2, 2× only); by default fast for 2×, quality
    for 4× (x4plus makes 2× by halving its 4×, so it costs as much as 4×). ``tile``: input pixels per tile side
    (default: the network's cheapest per pixel here); a photo no larger than
    one tile is run whole. ``max_input_pixels``: the caller's cap (the
    profile's, per tier); a larger photo raises ValueError naming the cap.
    ``progress`` is called after each tile. ValueError for a bad scale,
    model or tile size; ModelMissing if the network was never fetched.
    """
    import cv2

    check_image(image, "upscale")
    network = _network(model or ("fast" if scale == 2 else "quality"), scale)
    height, width = image.shape[:2]
    if max_input_pixels is not None and height * width > max_input_pixels:
        raise ValueError(
            f"upscale takes photos of at most {max_input_pixels:,} pixels here; "
            f"this one is {width}×{height} = {width * height:,}. Downscale it first, or use a plan with a higher limit."
        )
    tile = network.tile if tile is None else tile
    if tile < _MIN_TILE:
        raise ValueError(f"upscale tiles must be at least {_MIN_TILE} px, not {tile}")

    net = store.ncnn(network.name)
    native = network.native
    out = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    tiles = _plan(width, height, tile, _MARGIN)
    progress(0.0)
    for done, part in enumerate(tiles, start=1):
        enlarged = _infer(net, np.ascontiguousarray(image[part.cy0 : part.cy1, part.cx0 : part.cx1]))
        inner = enlarged[
            (part.y0 - part.cy0) * native : (part.y1 - part.cy0) * native,
            (part.x0 - part.cx0) * native : (part.x1 - part.cx0) * native,
        ]
        if scale != native:
            # An exact integer factor: INTER_AREA averages whole blocks, so
            # halving tile by tile equals halving the whole photo.
            tile_w, tile_h = (part.x1 - part.x0) * scale, (part.y1 - part.y0) * scale
            inner = np.asarray(cv2.resize(inner, (tile_w, tile_h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
        out[part.y0 * scale : part.y1 * scale, part.x0 * scale : part.x1 * scale] = inner
        progress(done / len(tiles))
    return out


def estimate_seconds(width: int, height: int, scale: int, model: str = "quality", threads: int = 2) -> float:
    """Roughly how long ``upscale`` takes on a width×height photo, for the UI to warn before a long job.

    From the per-pixel costs measured on this project's 2-core machine with
    its cores free (see ``NETWORKS``), counting the tiles' margins; threads
    beyond 2 are extrapolated at the 1→2 speed-up, which 2 cores cannot check.
    """
    if width < 1 or height < 1 or threads < 1:
        raise ValueError("estimate_seconds needs a positive size and thread count")
    network = _network(model, scale)
    pixels = sum(part.processed_pixels for part in _plan(width, height, network.tile))
    speedup = network.cost_1_thread / network.cost_2_threads
    cost = network.cost_1_thread / (1 + (speedup - 1) * (threads - 1))
    return pixels * cost
