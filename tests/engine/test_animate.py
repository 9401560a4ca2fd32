from __future__ import annotations

import io
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from skimage import data

from darkroom.engine.animate import animate
from darkroom.engine.animate_motion import PAN_FOCUS_MARGIN, camera_path, saliency_centre
from darkroom.engine.animate_mp4 import faststart
from darkroom.engine.animate_parallax import parallax_layers

# The astronaut's face, as a face detector would report it (checked by eye on data.astronaut()).
ASTRONAUT_FACE = (225.0, 115.0)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return np.ascontiguousarray(data.coffee())


def _decode(source: Path | io.BytesIO, keep: set[int] | None = None) -> tuple[dict[str, object], dict[int, np.ndarray]]:
    """The stream's facts, and the decoded RGB frames whose index is in ``keep`` (all when None)."""
    if isinstance(source, io.BytesIO):
        source.seek(0)
    kept: dict[int, np.ndarray] = {}
    with av.open(source) as container:
        stream = container.streams.video[0]
        facts: dict[str, object] = {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "size": (stream.width, stream.height),
            "fps": float(stream.average_rate),
        }
        count = 0
        for index, frame in enumerate(container.decode(stream)):
            count += 1
            if keep is None or index in keep:
                kept[index] = frame.to_ndarray(format="rgb24")
        facts["frames"] = count
    return facts, kept


def _expected_view(photo: np.ndarray, window: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """The photo's ``window`` (left, top, width, height) resampled to ``size``, computed independently."""
    left, top, width, _ = window
    k = size[0] / width
    # Pre-blur when shrinking, as area sampling would, so the comparison is against a fair reference.
    source = cv2.GaussianBlur(photo, (0, 0), 0.5 / k) if k < 1 else photo
    matrix = np.array([[k, 0, (0.5 - left) * k - 0.5], [0, k, (0.5 - top) * k - 0.5]])
    return cv2.warpAffine(source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _mad(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    diff = np.abs(a.astype(np.float32) - b.astype(np.float32))
    return float(diff.mean() if where is None else diff[where].mean())


def _soft(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), 1.5)


def test_it_writes_a_faststart_h264_yuv420p_clip_of_the_promised_size_and_length(coffee: np.ndarray) -> None:
    output = io.BytesIO()
    report = animate(coffee, output, seconds=1.0, fps=30, height=240)
    facts, _ = _decode(output, keep=set())
    assert facts["codec"] == "h264"
    assert facts["pix_fmt"] == "yuv420p"
    assert facts["size"] == (426, 240) == (report.width, report.height)
    assert abs(int(facts["frames"]) - 30) <= 1  # type: ignore[call-overload]
    assert facts["fps"] == pytest.approx(30)
    content = output.getvalue()
    # The index comes before the media, so a browser can start playing while downloading.
    assert content.index(b"moov") < content.index(b"mdat")
    assert report.bytes_written == len(content)


def test_it_shapes_the_clip_after_the_photo_with_even_sides(coffee: np.ndarray, astronaut: np.ndarray) -> None:
    portrait = np.ascontiguousarray(np.rot90(coffee))
    motorcycle = np.ascontiguousarray(data.stereo_motorcycle()[0])
    for photo, size in [(portrait, (240, 426)), (astronaut, (240, 240)), (motorcycle, (426, 240))]:
        output = io.BytesIO()
        report = animate(photo, output, seconds=0.5, height=240)
        facts, _ = _decode(output, keep=set())
        assert facts["size"] == size == (report.width, report.height)
        assert report.width % 2 == 0
        assert report.height % 2 == 0


def test_a_five_second_720p_clip_takes_well_under_a_minute(tmp_path: Path, coffee: np.ndarray) -> None:
    path = tmp_path / "clip.mp4"
    started = time.perf_counter()
    report = animate(coffee, path)
    elapsed = time.perf_counter() - started
    facts, frames = _decode(path, keep={0, 149})
    assert facts["size"] == (1280, 720)
    assert facts["frames"] == 150 == report.frames
    assert report.seconds == pytest.approx(5.0)
    assert _mad(frames[0], frames[149]) < 3
    assert elapsed < 30


@pytest.mark.parametrize("style", ["push-in", "pan", "parallax"])
def test_a_looping_clip_ends_where_it_began_and_moves_in_between(
    style: str, astronaut: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    output = io.BytesIO()
    report = animate(astronaut, output, style=style, person_mask=astronaut_mask, seconds=1.0, height=240)
    last, middle = report.frames - 1, report.frames // 2
    _, frames = _decode(output, keep={0, middle, last})
    # The same picture, up to the encoder's noise (a keyframe first, a predicted frame last).
    assert _mad(_soft(frames[0]), _soft(frames[last])) < 2.5
    assert _mad(frames[0], frames[middle]) > 8


def test_without_loop_the_push_in_ends_closer_than_it_began(coffee: np.ndarray) -> None:
    output = io.BytesIO()
    report = animate(coffee, output, seconds=1.0, height=240, loop=False)
    _, frames = _decode(output, keep={0, report.frames - 1})
    assert _mad(frames[0], frames[report.frames - 1]) > 10


def test_the_push_in_closes_in_on_the_face_and_keeps_it_in_frame(astronaut: np.ndarray) -> None:
    output = io.BytesIO()
    report = animate(astronaut, output, focus=ASTRONAUT_FACE, seconds=1.0, height=240)
    path = camera_path("push-in", (512, 512), 1.0, ASTRONAUT_FACE, report.frames, loop=True)
    assert all(window.contains(*ASTRONAUT_FACE) for window in path)
    widths = [window.width for window in path]
    middle = report.frames // 2
    assert widths[middle] < widths[0] / 1.15
    assert widths[0] == pytest.approx(widths[-1], rel=0.01)
    # The video shows what the path says, frame by frame (so the face really is in every frame).
    _, frames = _decode(output, keep={0, middle})
    for index in (0, middle):
        expected = _expected_view(astronaut, path[index].box, (240, 240))
        assert _mad(_soft(frames[index]), _soft(expected)) < 3
    assert report.focus_source == "given"


def test_the_pan_slides_one_way_and_back_with_the_focus_always_inside(coffee: np.ndarray) -> None:
    focus = (420.0, 150.0)
    output = io.BytesIO()
    report = animate(coffee, output, style="pan", focus=focus, seconds=1.0, height=240)
    path = camera_path("pan", (600, 400), 426 / 240, focus, report.frames, loop=True)
    assert len({round(window.width, 6) for window in path}) == 1
    xs, ys = [w.cx for w in path], [w.cy for w in path]
    assert max(xs) - min(xs) > 40
    assert max(ys) - min(ys) < 1e-6
    for window in path:
        assert abs(focus[0] - window.cx) <= (0.5 - PAN_FOCUS_MARGIN) * window.width + 1e-6
        assert window.contains(*focus)
    _, frames = _decode(output, keep={0, report.frames // 2})
    expected = _expected_view(coffee, path[report.frames // 2].box, (426, 240))
    assert _mad(_soft(frames[report.frames // 2]), _soft(expected)) < 3


def test_it_finds_a_sharp_subject_on_a_blurred_background_when_no_focus_is_given(coffee: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    background = cv2.resize(cv2.GaussianBlur(coffee, (0, 0), 20), (900, 600))
    subject = cv2.resize(np.ascontiguousarray(data.chelsea()[40:260, 80:330]), (160, 140))
    for left, top in [(80, 60), (640, 400), (380, 230), (700, 80)]:
        photo = background.copy()
        photo[top : top + 140, left : left + 160] = subject
        noisy = np.clip(photo + rng.normal(0, 4, photo.shape), 0, 255).astype(np.uint8)
        _, encoded = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 30])
        degraded = np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED))
        for version in (photo, degraded):
            x, y = saliency_centre(version)
            assert left <= x <= left + 160
            assert top <= y <= top + 140
    report = animate(photo, io.BytesIO(), seconds=0.2, height=120)
    assert report.focus_source == "saliency"
    assert 700 <= report.focus[0] <= 860


def test_parallax_keeps_the_persons_pixels(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    output = io.BytesIO()
    report = animate(astronaut, output, style="parallax", person_mask=astronaut_mask, seconds=1.0, height=480)
    assert report.focus_source == "person"
    _, frames = _decode(output, keep={0})
    # Frame 0 is the still photo through the clip's window; inside the person only their pixels may show.
    expected = _expected_view(astronaut, report.window, (480, 480))
    core = _expected_view(np.dstack([astronaut_mask] * 3), report.window, (480, 480))[..., 0] > 0.99
    core = cv2.erode(core.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert core.mean() > 0.2
    # Within the encoder's noise, as measured on the untouched background far from the person.
    far = _expected_view(np.dstack([astronaut_mask] * 3), report.window, (480, 480))[..., 0] < 0.01
    assert _mad(frames[0], expected, core) < min(5.0, _mad(frames[0], expected, far) + 1)


def test_parallax_fills_the_background_behind_the_person_with_no_trace_of_them(
    astronaut: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    layers = parallax_layers(astronaut, astronaut_mask)
    person = astronaut_mask > 0.5
    ring = cv2.dilate((layers.hole > 0).astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool) & (layers.hole == 0)
    # Outside the hole the background is the photo, untouched.
    assert np.array_equal(layers.background[layers.hole == 0], astronaut[layers.hole == 0])

    # The person's distinctive colours: at least twice as common on them as in the background around them.
    def colour_bins(pixels: np.ndarray) -> np.ndarray:
        return (pixels // 32).astype(np.int64) @ np.array([64, 8, 1])

    def frequencies(pixels: np.ndarray) -> np.ndarray:
        return np.bincount(colour_bins(pixels), minlength=512) / len(pixels) + 1e-4

    distinctive = frequencies(astronaut[person]) > 2 * frequencies(astronaut[ring])
    assert distinctive[colour_bins(astronaut[person])].mean() > 0.5
    assert distinctive[colour_bins(layers.background[person])].mean() < 0.1


def test_parallax_moves_the_person_more_than_the_background(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    output = io.BytesIO()
    report = animate(astronaut, output, style="parallax", person_mask=astronaut_mask, seconds=1.0, height=480)
    middle = report.frames // 2
    _, frames = _decode(output, keep={0, middle})
    grey0, grey1 = (cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY).astype(np.float32) for i in (0, middle))
    mask = _expected_view(np.dstack([astronaut_mask] * 3), report.window, (480, 480))[..., 0]
    texture = cv2.GaussianBlur((grey0 - cv2.GaussianBlur(grey0, (0, 0), 3)) ** 2, (0, 0), 8)

    def shift_of(region: np.ndarray) -> float:
        inner = np.zeros_like(region)
        inner[60:-60, 60:-60] = region[60:-60, 60:-60]
        y, x = np.unravel_index(int(np.argmax(np.where(inner, texture, 0))), texture.shape)
        patch = grey0[y - 20 : y + 20, x - 20 : x + 20]
        search = grey1[y - 50 : y + 50, x - 50 : x + 50]
        _, _, _, best = cv2.minMaxLoc(cv2.matchTemplate(search, patch, cv2.TM_CCOEFF_NORMED))
        return float(best[0] - 30)

    person_shift = shift_of(cv2.erode((mask > 0.99).astype(np.uint8), np.ones((45, 45), np.uint8)).astype(bool))
    background_shift = shift_of(cv2.erode((mask < 0.01).astype(np.uint8), np.ones((61, 61), np.uint8)).astype(bool))
    assert person_shift < -10
    assert abs(person_shift) > abs(background_shift) + 6


def test_it_reports_progress_once_per_frame_up_to_one(coffee: np.ndarray) -> None:
    seen: list[float] = []
    report = animate(coffee, io.BytesIO(), seconds=0.5, height=120, progress=seen.append)
    assert len(seen) == report.frames == 15
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_it_writes_to_a_path_or_a_file_object_alike(tmp_path: Path, coffee: np.ndarray) -> None:
    path = tmp_path / "clip.mp4"
    animate(coffee, path, style="pan", seconds=0.5, height=120)
    with (tmp_path / "other.mp4").open("wb") as file:
        animate(coffee, file, style="pan", seconds=0.5, height=120)
    for written in (path, tmp_path / "other.mp4"):
        facts, _ = _decode(written, keep=set())
        assert facts["frames"] == 15


def test_faststart_refuses_what_is_not_an_mp4() -> None:
    with pytest.raises(ValueError, match="not an MP4"):
        faststart(b"\x00\x00\x00\x10abcdefghijkl")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"seconds": 0}, "seconds must be more than 0"),
        ({"seconds": -1}, "seconds must be more than 0"),
        ({"seconds": 31}, "at most 30"),
        ({"style": "zoom"}, "unknown animation style 'zoom'"),
        ({"style": "parallax"}, "parallax needs person_mask"),
        ({"style": "parallax", "person_mask": np.ones((10, 10), np.float32)}, "must match"),
        ({"style": "parallax", "person_mask": np.zeros((400, 600), np.float32)}, "holds no person"),
        ({"style": "parallax", "person_mask": np.full((400, 600), 2, np.float32)}, r"\[0, 1\]"),
        ({"height": 241}, "height must be even"),
        ({"fps": 29}, "fps must be one of"),
        ({"focus": (700, 10)}, "outside the 600×400 photo"),
    ],
)
def test_it_refuses_bad_arguments_clearly(coffee: np.ndarray, arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        animate(coffee, io.BytesIO(), **arguments)  # type: ignore[arg-type]


def test_it_refuses_an_image_that_is_not_rgb(coffee: np.ndarray) -> None:
    with pytest.raises(ValueError, match="animate expects"):
        animate(coffee.astype(np.float32), io.BytesIO())
