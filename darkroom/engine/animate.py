"""Photo → short MP4 clip: a Ken Burns push-in or pan, or a 2.5-D parallax of the person.

The clip is H.264 in yuv420p (what every browser decodes), with the ``moov``
index at the front so playback starts while the file downloads. The photo is
downscaled once to the resolution the tightest frame needs; each frame is then
one affine warp per layer at clip size, so a 5 s 720p clip costs mostly the
encoder's time.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

import numpy as np
from numpy.typing import NDArray

from darkroom.engine.animate_motion import Window, camera_path, clip_size, saliency_centre, window_at
from darkroom.engine.animate_mp4 import faststart
from darkroom.engine.animate_parallax import (
    PARALLAX_ZOOM,
    PERSON_ZOOM,
    check_person_mask,
    parallax_layers,
    parallax_motion,
)
from darkroom.engine.types import Image, Mask, Progress, check_image, no_progress

_Layer = TypeVar("_Layer", Image, Mask)

STYLES = ("push-in", "pan", "parallax")
MAX_SECONDS = 30.0
FPS_CHOICES = (24, 25, 30)
# x264's "veryfast" keeps a 720p clip at a few seconds on 2 cores; CRF 21 is visually clean
# for slow camera moves, which compress well anyway.
_PRESET = "veryfast"
_CRF = 21
_ENCODER_THREADS = 2
_MIN_SHORT_SIDE, _MAX_SHORT_SIDE = 64, 2160


@dataclass(frozen=True)
class AnimateReport:
    """What ``animate`` made, for the job page and tests."""

    style: str
    width: int
    height: int
    fps: int
    frames: int
    loop: bool
    focus: tuple[float, float]
    focus_source: str  # "given", "saliency" or "person" (the mask's centre)
    window: tuple[float, float, float, float]  # frame 0's (left, top, width, height) in photo pixels
    bytes_written: int

    @property
    def seconds(self) -> float:
        """The clip's duration."""
        return self.frames / self.fps


def _check_arguments(style: str, seconds: float, fps: int, height: int, image: Image) -> None:
    check_image(image, "animate")
    if style not in STYLES:
        raise ValueError(f"unknown animation style {style!r}: choose one of {', '.join(STYLES)}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds must be more than 0 and at most {MAX_SECONDS:g}, not {seconds:g}")
    if fps not in FPS_CHOICES:
        raise ValueError(f"fps must be one of {', '.join(map(str, FPS_CHOICES))}, not {fps}")
    if height % 2 or not _MIN_SHORT_SIDE <= height <= _MAX_SHORT_SIDE:
        raise ValueError(f"height must be even and between {_MIN_SHORT_SIDE} and {_MAX_SHORT_SIDE}, not {height}")


def _focus(
    image: Image, focus: tuple[float, float] | None, person_mask: Mask | None
) -> tuple[tuple[float, float], str]:
    height, width = image.shape[:2]
    if focus is not None:
        x, y = float(focus[0]), float(focus[1])
        if not (0 <= x <= width and 0 <= y <= height):
            raise ValueError(f"focus {focus} lies outside the {width}×{height} photo")
        return (x, y), "given"
    if person_mask is not None:
        import cv2  # heavy import kept out of web start-up

        moments = cv2.moments(person_mask)
        return (moments["m10"] / moments["m00"] + 0.5, moments["m01"] / moments["m00"] + 0.5), "person"
    return saliency_centre(image), "saliency"


def _window_affine(window: Window, stage_scale: tuple[float, float], clip: tuple[int, int]) -> NDArray[np.float64]:
    """The 2×3 matrix taking stage pixel centres to clip pixel centres for ``window``."""
    sx, sy = stage_scale
    kx, ky = clip[0] / window.width, clip[1] / window.height
    left, top = window.cx - window.width / 2, window.cy - window.height / 2
    # Pixel i's centre is at i + 0.5 in continuous coordinates, on both the stage and the clip.
    return np.array(
        [[kx / sx, 0.0, (0.5 / sx - left) * kx - 0.5], [0.0, ky / sy, (0.5 / sy - top) * ky - 0.5]], dtype=np.float64
    )


def _then_move(matrix: NDArray[np.float64], shift: float, scale: float, clip: tuple[int, int]) -> NDArray[np.float64]:
    """``matrix`` followed by a scale about the clip's centre and a horizontal shift, in clip pixels."""
    cx, cy = (clip[0] - 1) / 2, (clip[1] - 1) / 2
    move = np.array([[scale, 0.0, cx - scale * cx + shift], [0.0, scale, cy - scale * cy], [0.0, 0.0, 1.0]])
    result: NDArray[np.float64] = (move @ np.vstack([matrix, [0.0, 0.0, 1.0]]))[:2]
    return result


def _warp(layer: _Layer, matrix: NDArray[np.float64], clip: tuple[int, int]) -> _Layer:
    """One layer at clip size; replicating the border extends a person cut by the photo's edge past it."""
    import cv2  # heavy import kept out of web start-up

    warped = cv2.warpAffine(layer, matrix, clip, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, dtype=layer.dtype)


def _parallax_frames(
    stage: Image, person_mask: Mask, base: NDArray[np.float64], clip: tuple[int, int], frames: int, loop: bool
) -> Iterator[Image]:
    """Composite the moving person over the moving, inpainted background, frame by frame."""
    import cv2  # heavy import kept out of web start-up

    size = (stage.shape[1], stage.shape[0])
    mask = (
        person_mask
        if person_mask.shape == stage.shape[:2]
        else cv2.resize(person_mask, size, interpolation=cv2.INTER_AREA)
    )
    layers = parallax_layers(np.ascontiguousarray(stage), np.clip(mask, 0, 1).astype(np.float32))
    for move in parallax_motion(frames, clip[0], loop=loop):
        far = _then_move(base, move.background_shift, move.background_scale, clip)
        near = _then_move(base, move.person_shift, move.person_scale, clip)
        background, person = _warp(layers.background, far, clip), _warp(layers.person, near, clip)
        alpha = _warp(layers.alpha, near, clip)
        yield np.asarray(cv2.blendLinear(person, background, alpha, 1 - alpha), dtype=np.uint8)


class _Encoder:
    """H.264 yuv420p into an in-memory MP4, BT.709-tagged as HD video is assumed to be."""

    def __init__(self, clip: tuple[int, int], fps: int) -> None:
        import av  # heavy import kept out of web start-up

        self.buffer = io.BytesIO()
        self.container: Any = av.open(self.buffer, mode="w", format="mp4")
        stream: Any = self.container.add_stream(
            "libx264", rate=fps, options={"crf": str(_CRF), "preset": _PRESET, "profile": "high"}
        )
        stream.width, stream.height, stream.pix_fmt = clip[0], clip[1], "yuv420p"
        # A keyframe every 2 s lets a browser seek without decoding from the start.
        stream.codec_context.gop_size = 2 * fps
        stream.codec_context.thread_count = _ENCODER_THREADS
        bt709, limited_range = 1, 1  # AVCOL_*_BT709 and AVCOL_RANGE_MPEG in FFmpeg's enums
        stream.codec_context.colorspace = bt709
        stream.codec_context.color_primaries = bt709
        stream.codec_context.color_trc = bt709
        stream.codec_context.color_range = limited_range
        self.stream = stream
        self.av = av

    def add(self, frame: Image) -> None:
        video = self.av.VideoFrame.from_ndarray(frame, format="rgb24")
        video = video.reformat(format="yuv420p", dst_colorspace=self.av.video.reformatter.Colorspace.ITU709)
        for packet in self.stream.encode(video):
            self.container.mux(packet)

    def finish(self) -> bytes:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        return self.buffer.getvalue()

    def close(self) -> None:
        """Release the encoder even when rendering stopped half-way (a cancelled job's progress raises)."""
        self.container.close()


def _write(data: bytes, output: str | os.PathLike[str] | BinaryIO) -> None:
    if isinstance(output, str | os.PathLike):
        with open(output, "wb") as file:
            file.write(data)
    else:
        output.write(data)


def animate(
    image: Image,
    output: str | os.PathLike[str] | BinaryIO,
    *,
    style: str = "push-in",
    focus: tuple[float, float] | None = None,
    person_mask: Mask | None = None,
    seconds: float = 5.0,
    fps: int = 30,
    height: int = 720,
    loop: bool = True,
    progress: Progress = no_progress,
) -> AnimateReport:
    """Render ``image`` (H×W×3 uint8 RGB) as an MP4 clip written to ``output`` (a path or a binary file).

    ``style``: ``push-in`` (slow zoom towards ``focus``), ``pan`` (slide past
    ``focus``) or ``parallax`` (the person in ``person_mask``, H×W float32 1 =
    person, moves more than the inpainted background). ``focus`` is an
    ``(x, y)`` photo point, such as a face's centre; without it the salient
    subject is used, or the person's centre when ``person_mask`` is given. ``height`` is the clip's
    short side ("720p": 1280×720 for a landscape photo, 720×1280 portrait,
    720×720 near-square). With ``loop`` the move goes out and back so the last
    frame leads into the first. ``progress`` gets the fraction of frames done.
    Raises ValueError for bad arguments.
    """
    import cv2  # heavy import kept out of web start-up

    _check_arguments(style, seconds, fps, height, image)
    if style == "parallax" and person_mask is None:
        raise ValueError("parallax needs person_mask (the person's segment) to separate them from the background")
    if person_mask is not None:
        check_person_mask(person_mask, image)
        person_mask = person_mask.astype(np.float32, copy=False)
    focus_point, focus_source = _focus(image, focus, person_mask)

    frames = max(2, round(seconds * fps))
    photo_height, photo_width = image.shape[:2]
    clip = clip_size(photo_width, photo_height, height)
    aspect = clip[0] / clip[1]
    if style == "parallax":
        windows = [window_at(photo_width, photo_height, aspect, PARALLAX_ZOOM, focus_point)] * frames
    else:
        windows = camera_path(style, (photo_width, photo_height), aspect, focus_point, frames, loop=loop)
    # The person layer's push-in shows less than its window, so it needs that much more resolution.
    extra = PERSON_ZOOM if style == "parallax" else 1.0
    scale = min(1.0, clip[0] * extra / min(window.width for window in windows))
    stage_size = (max(1, round(photo_width * scale)), max(1, round(photo_height * scale)))
    stage_scale = (stage_size[0] / photo_width, stage_size[1] / photo_height)
    stage: Image = np.asarray(cv2.resize(image, stage_size, interpolation=cv2.INTER_AREA)) if scale < 1 else image

    if style == "parallax":
        assert person_mask is not None
        rendered = _parallax_frames(
            stage, person_mask, _window_affine(windows[0], stage_scale, clip), clip, frames, loop
        )
    else:
        rendered = (_warp(stage, _window_affine(window, stage_scale, clip), clip) for window in windows)
    encoder = _Encoder(clip, fps)
    try:
        for n, frame in enumerate(rendered):
            encoder.add(frame)
            progress((n + 1) / frames)
        data = faststart(encoder.finish())
    finally:
        encoder.close()
    _write(data, output)
    return AnimateReport(
        style=style,
        width=clip[0],
        height=clip[1],
        fps=fps,
        frames=frames,
        loop=loop,
        focus=focus_point,
        focus_source=focus_source,
        window=windows[0].box,
        bytes_written=len(data),
    )
