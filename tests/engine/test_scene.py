from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from skimage import data

from darkroom.engine.backdrops import PRESETS, render_backdrop
from darkroom.engine.looks import LOOKS, apply_look
from darkroom.engine.models import ModelStore
from darkroom.engine.scene import SceneReport, compose_scene
from darkroom.engine.segment import person_mask

# Most scene tests render a 432×540 portrait: 6× fewer pixels than the default, same code paths.
SMALL = 540


def _hand_mask() -> np.ndarray:
    """A rough, hand-drawn cut-out of the astronaut (head and suit), soft at the edge: no model involved."""
    mask = np.zeros((512, 512), np.float32)
    cv2.ellipse(mask, (228, 95), (72, 82), 0, 0, 360, 1.0, -1)
    body = np.array([(175, 150), (285, 150), (330, 250), (355, 300), (368, 512), (18, 512), (22, 330), (118, 195)])
    cv2.fillPoly(mask, [body.astype(np.int32)], 1.0)
    return np.clip(cv2.GaussianBlur(mask, (0, 0), 2.5), 0, 1)


def _placed_mask(mask: np.ndarray, report: SceneReport) -> np.ndarray:
    """The input mask carried into the output frame the way the report says the photo was."""
    sx0, sy0, sx1, sy1 = report.source_box
    px0, py0, px1, py1 = report.placed_box
    canvas = np.zeros(report.size[::-1], np.float32)
    interpolation = cv2.INTER_AREA if report.scale < 1 else cv2.INTER_LINEAR
    part = np.ascontiguousarray(mask[sy0:sy1, sx0:sx1])
    canvas[py0:py1, px0:px1] = cv2.resize(part, (px1 - px0, py1 - py0), interpolation=interpolation)
    return canvas


def _placed_photo(image: np.ndarray, report: SceneReport) -> np.ndarray:
    """The photo cropped and resized as documented: area averaging to shrink, bicubic to enlarge."""
    sx0, sy0, sx1, sy1 = report.source_box
    px0, py0, px1, py1 = report.placed_box
    interpolation = cv2.INTER_AREA if report.scale < 1 else cv2.INTER_CUBIC
    canvas = np.zeros((*report.size[::-1], 3), np.uint8)
    part = np.ascontiguousarray(image[sy0:sy1, sx0:sx1])
    canvas[py0:py1, px0:px1] = cv2.resize(part, (px1 - px0, py1 - py0), interpolation=interpolation)
    return canvas


def _interior(placed: np.ndarray, margin: int) -> np.ndarray:
    core = (placed >= 0.95).astype(np.uint8)
    return cv2.erode(core, np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0


def _distance_from_person(placed: np.ndarray) -> np.ndarray:
    return cv2.distanceTransform((placed < 0.005).astype(np.uint8), cv2.DIST_L2, 5)


def _luma(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _underexposed(image: np.ndarray) -> np.ndarray:
    return (image * 0.4).astype(np.uint8)


def _colour_cast(image: np.ndarray) -> np.ndarray:
    return np.clip(image * np.array([1.0, 0.85, 0.65]), 0, 255).astype(np.uint8)


def _jpeg(image: np.ndarray) -> np.ndarray:
    _, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 15])
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])


# Backdrops


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_it_renders_every_preset_at_the_requested_size_and_not_flat(name: str) -> None:
    backdrop = render_backdrop(name, 240, 300, seed=3)
    assert backdrop.shape == (300, 240, 3)
    assert backdrop.dtype == np.uint8
    assert backdrop.std() > 2.0
    # Beyond the grain: the light falls off, the gradient runs, the lights glow.
    smooth = cv2.GaussianBlur(_luma(backdrop), (0, 0), 6)
    assert np.percentile(smooth, 99) - np.percentile(smooth, 1) > 5


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_it_draws_the_same_backdrop_for_the_same_seed_and_another_for_another(name: str) -> None:
    first = render_backdrop(name, 160, 200, seed=7)
    assert np.array_equal(first, render_backdrop(name, 160, 200, seed=7))
    assert not np.array_equal(first, render_backdrop(name, 160, 200, seed=8))


def test_distinct_presets_look_different() -> None:
    rendered = {name: render_backdrop(name, 120, 150).astype(np.float64) for name in PRESETS}
    for a, b in itertools.combinations(rendered, 2):
        assert np.abs(rendered[a] - rendered[b]).mean() > 8, (a, b)


def test_it_keeps_a_backdrops_composition_at_any_size() -> None:
    small = render_backdrop("bokeh-night", 200, 250, seed=1).astype(np.float64)
    large = render_backdrop("bokeh-night", 800, 1000, seed=1)
    shrunk = cv2.resize(large, (200, 250), interpolation=cv2.INTER_AREA).astype(np.float64)
    assert np.corrcoef(_luma(small).ravel(), _luma(shrunk).ravel())[0, 1] > 0.95
    assert np.abs(small - shrunk).mean() < 5


def test_it_refuses_an_unknown_preset_and_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown scene preset 'moon'.*studio-grey.*remote AI provider"):
        render_backdrop("moon", 100, 100)


def test_it_refuses_a_backdrop_size_it_cannot_draw() -> None:
    with pytest.raises(ValueError, match="between 8 and"):
        render_backdrop("studio-grey", 4, 100)


# Looks


def test_black_and_white_has_equal_channels(astronaut: np.ndarray) -> None:
    out = apply_look(astronaut, "bw")
    assert np.array_equal(out[..., 0], out[..., 1])
    assert np.array_equal(out[..., 1], out[..., 2])
    assert np.corrcoef(_luma(out).ravel(), _luma(astronaut).ravel())[0, 1] > 0.9


@pytest.mark.parametrize("degrade", [lambda x: x, _colour_cast], ids=["clean", "colour-cast"])
def test_warm_raises_the_red_to_blue_ratio(astronaut: np.ndarray, degrade: object) -> None:
    photo = degrade(astronaut)  # type: ignore[operator]
    out = apply_look(photo, "warm").astype(np.float64)
    before = photo.astype(np.float64)
    assert out[..., 0].mean() / out[..., 2].mean() > 1.1 * before[..., 0].mean() / before[..., 2].mean()


def test_film_lifts_the_black_point_and_splits_cool_shadows_from_warm_highlights(astronaut: np.ndarray) -> None:
    dark = _underexposed(astronaut)
    out = apply_look(dark, "film").astype(np.float64)
    # Measured through a blur: the grain scatters single pixels on both sides of the lifted black.
    lifted = np.percentile(cv2.GaussianBlur(_luma(out), (0, 0), 2), 1)
    assert lifted > np.percentile(_luma(dark), 1) + 10
    grey = np.repeat(np.linspace(0, 255, 256, dtype=np.uint8)[None, :, None], 3, axis=2).repeat(64, axis=0)
    toned = apply_look(grey, "film").astype(np.float64)
    shadows, highlights = toned[:, :40].mean(axis=(0, 1)), toned[:, -40:].mean(axis=(0, 1))
    assert _luma(toned[:, :4]).mean() > 12
    assert shadows[2] > shadows[0] + 4
    assert highlights[0] > highlights[2] + 8


def test_cinematic_turns_shadows_teal_and_highlights_orange(astronaut: np.ndarray) -> None:
    out = apply_look(astronaut, "cinematic").astype(np.float64)
    before = astronaut.astype(np.float64)
    luma = _luma(astronaut)
    shadows, highlights = luma < 60, luma > 190
    teal_before = (before[..., 2] - before[..., 0])[shadows].mean()
    assert (out[..., 2] - out[..., 0])[shadows].mean() > teal_before + 5
    orange_before = (before[..., 0] - before[..., 2])[highlights].mean()
    assert (out[..., 0] - out[..., 2])[highlights].mean() > orange_before + 5


def test_faded_lowers_contrast_and_lifts_blacks(astronaut: np.ndarray) -> None:
    out = apply_look(astronaut, "faded")
    assert _luma(out).std() < 0.9 * _luma(astronaut).std()
    assert np.percentile(_luma(out), 1) > np.percentile(_luma(astronaut), 1) + 15


def test_vivid_raises_saturation(astronaut: np.ndarray) -> None:
    out = apply_look(astronaut, "vivid")

    def saturation(image: np.ndarray) -> float:
        return float(cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1].mean())

    assert saturation(out) > 1.1 * saturation(astronaut)


@pytest.mark.parametrize("name", sorted(LOOKS))
def test_every_look_keeps_size_changes_the_photo_and_repeats_its_grain(astronaut: np.ndarray, name: str) -> None:
    out = apply_look(astronaut, name, seed=5)
    assert out.shape == astronaut.shape
    assert out.dtype == np.uint8
    assert np.abs(out.astype(np.int16) - astronaut).mean() > 2
    assert np.array_equal(out, apply_look(astronaut, name, seed=5))


def test_it_refuses_an_unknown_look(astronaut: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"unknown look 'sepia'; choose one of: bw, cinematic"):
        apply_look(astronaut, "sepia")


# Scene


def test_it_makes_a_portrait_of_the_promised_size(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    out, report = compose_scene(astronaut, astronaut_mask, preset="studio-grey")
    assert out.shape == (1350, 1080, 3)
    assert out.dtype == np.uint8
    assert report.size == (1080, 1350)
    square, _ = compose_scene(astronaut, astronaut_mask, preset="paper-teal", aspect=(2, 3), height=SMALL)
    assert square.shape == (SMALL, 360, 3)


def test_it_frames_the_head_near_the_top_with_headroom(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    out, report = compose_scene(astronaut, astronaut_mask, preset="studio-grey", height=SMALL)
    placed = _placed_mask(astronaut_mask, report)
    rows = np.flatnonzero((placed > 0.5).any(axis=1))
    assert 0.05 * SMALL <= rows[0] <= 0.12 * SMALL
    # The face (top sixth of the person) sits near the middle, not at a side.
    head = placed[rows[0] : rows[0] + SMALL // 6] > 0.5
    centre = np.flatnonzero(head.any(axis=0)).mean() / out.shape[1]
    assert 0.35 < centre < 0.65


@pytest.mark.parametrize("height", [SMALL, 1350], ids=["shrunk", "enlarged"])
def test_it_keeps_the_persons_pixels_when_harmonisation_is_off(
    astronaut: np.ndarray, astronaut_mask: np.ndarray, height: int
) -> None:
    out, report = compose_scene(astronaut, astronaut_mask, preset="bokeh-night", height=height, harmonise=0.0)
    inside = _interior(_placed_mask(astronaut_mask, report), margin=max(4, height // 50))
    assert inside.mean() > 0.3
    assert np.array_equal(out[inside], _placed_photo(astronaut, report)[inside])


@pytest.mark.parametrize(
    "degrade", [lambda x: x, _underexposed, _colour_cast, _jpeg], ids=["clean", "dark", "cast", "jpeg"]
)
def test_harmonisation_is_a_smooth_global_change_of_the_person(
    astronaut: np.ndarray, astronaut_mask: np.ndarray, degrade: object
) -> None:
    photo = degrade(astronaut)  # type: ignore[operator]
    out, report = compose_scene(photo, astronaut_mask, preset="paper-teal", height=SMALL)
    inside = _interior(_placed_mask(astronaut_mask, report), margin=SMALL // 50)
    expected = _placed_photo(photo, report)[inside].astype(np.float64)
    got = out[inside].astype(np.float64)
    assert report.colour_shift[0] < 0  # teal light pulls a* toward green
    assert np.abs(got - expected).mean() > 0.5
    for channel in range(3):
        assert np.corrcoef(got[:, channel], expected[:, channel])[0, 1] > 0.98
    # The documented limits: the person's mean L* moves at most 8, a* and b* at most 6.
    lab_got = cv2.cvtColor(got.astype(np.float32)[None] / 255, cv2.COLOR_RGB2Lab)[0].mean(axis=0)
    lab_expected = cv2.cvtColor(expected.astype(np.float32)[None] / 255, cv2.COLOR_RGB2Lab)[0].mean(axis=0)
    assert abs(lab_got[0] - lab_expected[0]) < 8.5
    assert np.all(np.abs(lab_got[1:] - lab_expected[1:]) < 6.5)


def test_it_keeps_the_person_of_a_hand_drawn_mask_too(astronaut: np.ndarray) -> None:
    mask = _hand_mask()
    out, report = compose_scene(astronaut, mask, preset="sunset", height=SMALL, harmonise=0.0)
    inside = _interior(_placed_mask(mask, report), margin=SMALL // 50)
    assert np.array_equal(out[inside], _placed_photo(astronaut, report)[inside])


def test_it_removes_the_old_backgrounds_colour_from_the_edge(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    # The astronaut in front of a green screen: a plain alpha blend would leave a green fringe.
    green = np.array([40, 200, 60], np.float32)
    alpha = astronaut_mask[..., None]
    screened = np.rint(alpha * astronaut + (1 - alpha) * green).astype(np.uint8)
    out, report = compose_scene(screened, astronaut_mask, preset="paper-charcoal", harmonise=0.0, shadow=False)
    placed = _placed_mask(astronaut_mask, report)[..., None]
    backdrop = render_backdrop("paper-charcoal", *report.size).astype(np.float64)
    naive = placed * _placed_photo(screened, report) + (1 - placed) * backdrop
    edge = (placed[..., 0] > 0.05) & (placed[..., 0] < 0.95)

    def greenness(image: np.ndarray) -> float:
        return float((image[..., 1] - (image[..., 0] + image[..., 2]) / 2)[edge].mean())

    assert edge.sum() > 1000
    assert greenness(out.astype(np.float64)) < greenness(naive) - 15


def test_every_portrait_fixture_gets_a_portrait(portrait: np.ndarray, store: ModelStore) -> None:
    mask = person_mask(portrait, store)
    out, report = compose_scene(portrait, mask, preset="window-light", height=SMALL, harmonise=0.0)
    assert out.shape == (SMALL, round(SMALL * 4 / 5), 3)
    inside = _interior(_placed_mask(mask, report), margin=SMALL // 50)
    assert inside.mean() > 0.1
    assert np.array_equal(out[inside], _placed_photo(portrait, report)[inside])


def test_the_background_far_from_the_person_is_the_backdrop(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    plain, report = compose_scene(astronaut, astronaut_mask, preset="city-night", height=SMALL, seed=4, shadow=False)
    backdrop = render_backdrop("city-night", *report.size, seed=4)
    distance = _distance_from_person(_placed_mask(astronaut_mask, report))
    near = distance > 8
    assert near.mean() > 0.2
    assert np.array_equal(plain[near], backdrop[near])
    shaded, _ = compose_scene(astronaut, astronaut_mask, preset="city-night", height=SMALL, seed=4)
    far = distance > 0.15 * SMALL
    assert np.abs(shaded[far].astype(np.int16) - backdrop[far]).max() <= 1


def test_the_shadow_darkens_the_backdrop_beside_the_person(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    lit, report = compose_scene(astronaut, astronaut_mask, preset="paper-white", height=SMALL, shadow=False)
    shaded, _ = compose_scene(astronaut, astronaut_mask, preset="paper-white", height=SMALL)
    distance = _distance_from_person(_placed_mask(astronaut_mask, report))
    ring = (distance > 4) & (distance < 0.05 * SMALL)
    assert np.all(shaded <= lit)
    assert _luma(lit[ring]).mean() - _luma(shaded[ring]).mean() > 5


def test_a_whole_figure_gets_floor_below_its_feet_and_a_contact_shadow(
    astronaut: np.ndarray, astronaut_mask: np.ndarray
) -> None:
    # The astronaut on a larger grey card, as if shot from further away: nothing of her touches an edge.
    photo = np.pad(astronaut, ((40, 200), (150, 150), (0, 0)), constant_values=128)
    mask = np.pad(astronaut_mask, ((40, 200), (150, 150)))
    lit, report = compose_scene(photo, mask, preset="paper-white", height=SMALL, shadow=False)
    shaded, _ = compose_scene(photo, mask, preset="paper-white", height=SMALL)
    assert report.feet_in_frame
    placed = _placed_mask(mask, report)
    rows, cols = np.flatnonzero((placed > 0.5).any(axis=1)), np.flatnonzero((placed > 0.5).any(axis=0))
    assert SMALL - rows[-1] >= 0.04 * SMALL
    assert cols[0] > 0
    assert cols[-1] < report.size[0] - 1
    below = (slice(rows[-1] + 3, rows[-1] + 3 + SMALL // 40), slice(cols[0], cols[-1]))
    assert _luma(lit[below]).mean() - _luma(shaded[below]).mean() > 15


def test_it_applies_the_chosen_look(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    out, report = compose_scene(astronaut, astronaut_mask, preset="paper-blush", look="bw", height=SMALL)
    assert report.look == "bw"
    assert np.array_equal(out[..., 0], out[..., 2])


def test_it_gives_the_same_portrait_for_the_same_seed(astronaut: np.ndarray, astronaut_mask: np.ndarray) -> None:
    first, _ = compose_scene(astronaut, astronaut_mask, preset="bokeh-warm", look="film", height=SMALL, seed=2)
    again, _ = compose_scene(astronaut, astronaut_mask, preset="bokeh-warm", look="film", height=SMALL, seed=2)
    other, _ = compose_scene(astronaut, astronaut_mask, preset="bokeh-warm", look="film", height=SMALL, seed=3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_it_says_no_person_was_found_for_an_empty_mask(astronaut: np.ndarray, store: ModelStore) -> None:
    rocket = np.ascontiguousarray(data.rocket())
    with pytest.raises(ValueError, match="no person found in the photo"):
        compose_scene(rocket, person_mask(rocket, store), preset="studio-grey")
    with pytest.raises(ValueError, match="no person found in the photo"):
        compose_scene(astronaut, np.zeros((512, 512), np.float32), preset="studio-grey")


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.ones((256, 256), np.float32), "mask is 256×256 but the photo is 512×512; compute the mask from this"),
        (np.ones((512, 512, 1), np.float32), "compute the mask from this same photo"),
        (np.full((512, 512), 255, np.uint8), "floats from 0 to 1, not uint8; divide a 0-255 mask by 255"),
        (np.full((512, 512), 2.0, np.float32), "values from 0 to 1"),
        (np.full((512, 512), np.nan, np.float32), "values from 0 to 1"),
    ],
    ids=["smaller", "three-d", "uint8", "above-one", "nan"],
)
def test_it_refuses_a_mask_it_cannot_use(astronaut: np.ndarray, mask: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compose_scene(astronaut, mask, preset="studio-grey")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "moon"}, "unknown scene preset 'moon'; choose one of"),
        ({"preset": "studio-grey", "look": "sepia"}, "unknown look 'sepia'"),
        ({"preset": "studio-grey", "aspect": (4, 0)}, "aspect must be two positive numbers"),
        ({"preset": "studio-grey", "height": 20}, "height must be between 64 and 8192"),
        ({"preset": "studio-grey", "harmonise": 2.0}, "harmonise must be between 0 and 1"),
    ],
)
def test_it_refuses_options_it_does_not_offer(astronaut: np.ndarray, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compose_scene(astronaut, _hand_mask(), **options)  # type: ignore[arg-type]


def test_it_refuses_anything_but_an_rgb_photo() -> None:
    with pytest.raises(ValueError, match="uint8 RGB"):
        compose_scene(np.zeros((64, 64), np.uint8), np.ones((64, 64), np.float32), preset="studio-grey")
