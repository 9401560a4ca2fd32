"""From measurements to 0-100 scores and plain-language advice, one function per aspect.

Each score is a logistic of the measured value: it never saturates exactly,
so a worse measurement always gives a lower score, and its midpoint (score
50, where ``critique`` calls an aspect a problem) sits where the flaw becomes
plain to see. The midpoints were set on scikit-image's sample photos,
clean and degraded (tests/engine/test_critique.py measures both sides).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from darkroom.engine.critique_metrics import Colour, Contrast, Exposure, Sharpness, Tilt

# Below this an aspect is a problem worth fixing (and a test's "flag").
PROBLEM = 50.0
# Below this an aspect could be better; above it, advice says it is fine.
FINE = 75.0


@dataclass(frozen=True)
class Measure:
    """One measured value behind a score, with its unit."""

    name: str
    value: float | int | bool | str | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, floats rounded to 4 places."""
        value = round(self.value, 4) if isinstance(self.value, float) else self.value
        return {"name": self.name, "value": value, "unit": self.unit}


@dataclass(frozen=True)
class Aspect:
    """One aspect's score (None when it does not apply to this photo), what was measured, and advice."""

    name: str
    score: float | None
    measures: tuple[Measure, ...]
    explanation: str
    advice: str
    weight: float

    @property
    def applies(self) -> bool:
        """False when the aspect could not be judged on this photo (no face, no straight line, ...)."""
        return self.score is not None

    @property
    def problem(self) -> bool:
        """True when the score is below ``PROBLEM``: the flaw is plain to see."""
        return self.score is not None and self.score < PROBLEM

    def value(self, name: str) -> float | int | bool | str | None:
        """The measured value called ``name``."""
        for measure in self.measures:
            if measure.name == name:
                return measure.value
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: score (None where it does not apply), measures, explanation, advice."""
        return {
            "name": self.name,
            "score": None if self.score is None else round(self.score, 1),
            "measures": [measure.to_dict() for measure in self.measures],
            "explanation": self.explanation,
            "advice": self.advice,
        }


def falling(value: float, midpoint: float, width: float) -> float:
    """100 for small ``value``, 50 at ``midpoint``, towards 0 above; ``width`` sets the steepness."""
    return 100.0 / (1.0 + math.exp(max(-50.0, min(50.0, (value - midpoint) / width))))


def rising(value: float, midpoint: float, width: float) -> float:
    """The mirror of ``falling``: 0 for small ``value``, 100 for large."""
    return 100.0 - falling(value, midpoint, width)


def _graded(score: float, bad: str, fair: str, good: str) -> str:
    return bad if score < PROBLEM else fair if score < FINE else good


def sharpness_aspect(
    measured: Sharpness,
    *,
    name: str = "sharpness",
    where: str = "The photo",
    midpoint: float = 0.65,
    weight: float = 3.0,
) -> Aspect:
    """Crete's blur measure: 0.3-0.55 for sharp photos, 0.65 at a 1-px Gaussian blur on a 512-px photo."""
    score = falling(measured.blur, midpoint, 0.05)
    blur = f"blur {measured.blur:.2f} on a 0-1 scale"
    advice = _graded(
        score,
        f"{where} is blurred ({blur}): use a faster shutter speed (about 1/focal length or quicker), "
        "steady the camera, and make sure the focus point is on the subject.",
        f"{where} is slightly soft ({blur}): a little sharpening will help; a faster shutter speed next time.",
        f"{where} is sharp ({blur}).",
    )
    measures = (
        Measure("blur", measured.blur, "Crete blur, 0 sharp - 1 smeared"),
        Measure("laplacian_variance", measured.laplacian_variance, "grey levels² at working size"),
    )
    return Aspect(name, score, measures, "How much fine detail survives (Crete et al. 2007).", advice, weight)


def exposure_aspect(measured: Exposure) -> Aspect:
    """Underexposure (room to brighten), overexposure (key above grey), blown highlights and crushed shadows."""
    under, over = measured.under_stops, measured.over_stops
    blown, crushed = measured.highlights_clipped, measured.shadows_clipped
    parts = {
        "under": falling(under, 1.5, 0.3),
        "over": falling(over, 1.5, 0.3),
        # On a log scale: 1% blown passes, 5% is the midpoint, and 20% scores
        # clearly worse than 10% rather than both reading zero.
        "blown": falling(math.log2(max(blown, 1e-6)), math.log2(0.05), 0.6),
        # Black backgrounds (night sky, studio) are common on purpose: only large areas count.
        "crushed": falling(crushed, 0.4, 0.08),
    }
    worst = min(parts, key=lambda part: parts[part])
    score = parts[worst]
    if worst == "under":
        problem = (
            f"The photo is {under:.1f} stops underexposed: brighten it by about {under:.1f} EV "
            f"(the highlights have room), or set exposure compensation +{under:.1f} next time."
        )
    elif worst == "blown":
        problem = (
            f"{blown:.0%} of the frame is blown out to white: expose about 1 stop darker "
            "(exposure compensation -1), or recover the highlights from a RAW file."
        )
    elif worst == "over":
        problem = f"The photo is {over:.1f} stops too bright: darken it by about {over:.1f} EV."
    else:
        problem = f"{crushed:.0%} of the frame is crushed to black: lift the shadows, or add fill light next time."
    advice = _graded(
        score,
        problem,
        "Exposure is nearly right. " + problem,
        f"Exposure is good ({measured.key_stops:+.1f} stops key).",
    )
    measures = (
        Measure("exposure_stops", -under if under > over else over, "stops (EV) from a good exposure"),
        Measure("key_stops", measured.key_stops, "stops of log-average luminance from 18% grey"),
        Measure("headroom_stops", measured.headroom_stops, "stops before the brightest tones clip"),
        Measure("mean_luma", measured.mean_luma, "0-255"),
        Measure("highlights_clipped", blown, "fraction of frame"),
        Measure("shadows_clipped", crushed, "fraction of frame"),
    )
    return Aspect(
        "exposure", score, measures, "Brightness against mid-grey, and clipped highlights and shadows.", advice, 3.0
    )


def contrast_aspect(measured: Contrast) -> Aspect:
    """Flatness: a 1st-99th percentile luma spread under ~90 of 255 looks hazy."""
    score = rising(measured.spread, 90.0, 15.0)
    advice = _graded(
        score,
        f"The photo looks flat (its tones span only {measured.spread:.0f} of 255 levels): "
        "set the black and white points (Levels) or add contrast.",
        f"Contrast is a little low ({measured.spread:.0f} of 255 levels): a gentle S-curve would help.",
        f"Contrast is good (tones span {measured.spread:.0f} of 255 levels).",
    )
    measures = (
        Measure("rms_contrast", measured.rms, "std of luma / 255"),
        Measure("spread", measured.spread, "luma levels between the 1st and 99th percentiles"),
    )
    return Aspect("contrast", score, measures, "How much of the tonal range the photo uses.", advice, 1.0)


def noise_aspect(sigma: float) -> Aspect:
    """Luma noise σ: under 2 grey levels is clean; 5 (RGB noise of σ ≈ 8) is plainly grainy."""
    score = falling(sigma, 5.0, 1.0)
    advice = _graded(
        score,
        f"The photo is noisy (σ ≈ {sigma:.1f} grey levels in flat areas): use a lower ISO or more light, "
        "or apply noise reduction.",
        f"Some noise shows in flat areas (σ ≈ {sigma:.1f} grey levels): light noise reduction will help.",
        f"Noise is low (σ ≈ {sigma:.1f} grey levels).",
    )
    measures = (Measure("sigma", sigma, "grey levels (0-255), flattest areas, working size"),)
    return Aspect("noise", score, measures, "Grain in flat areas (Immerkær's high-pass, robust spread).", advice, 2.0)


def _hue_name(a: float, b: float) -> str:
    names = ("magenta", "orange", "yellow", "yellow-green", "green", "cyan", "blue", "purple")
    angle = math.degrees(math.atan2(b, a)) % 360
    return names[int(((angle + 22.5) % 360) // 45)]


def colour_cast_aspect(measured: Colour) -> Aspect:
    """Tint of the near-neutral light tones: ~10 Lab units is visible, 20 is a strong cast."""
    hue = _hue_name(measured.cast_a, measured.cast_b)
    score = falling(measured.cast, 20.0, 4.0)
    advice = _graded(
        score,
        f"The photo has a {hue} cast (its greys and whites sit {measured.cast:.0f} Lab units off neutral): "
        "correct the white balance, for example by picking a grey point.",
        f"A slight {hue} tint ({measured.cast:.0f} Lab units): adjust the white balance if it is not intended.",
        f"White balance looks neutral ({measured.cast:.0f} Lab units off grey).",
    )
    measures = (
        Measure("cast", measured.cast, "Lab units (ΔE) of the near-neutral tones from grey"),
        Measure("a", measured.cast_a, "Lab a* (+ magenta, - green)"),
        Measure("b", measured.cast_b, "Lab b* (+ yellow, - blue)"),
        Measure("hue", hue, "direction of the cast"),
    )
    return Aspect("colour_cast", score, measures, "Whether whites and greys are neutral (white balance).", advice, 1.0)


def saturation_aspect(measured: Colour) -> Aspect:
    """Muted (mean chroma under ~7) or pushed past the gamut (over 5% of pixels pinned); None for black and white."""
    measures = (
        Measure("mean_chroma", measured.mean_chroma, "Lab chroma C*"),
        Measure("chroma_p95", measured.chroma_p95, "Lab chroma C*, 95th percentile"),
        Measure("out_of_gamut", measured.saturated, "fraction of pixels with channels at 0 and 255"),
        Measure("monochrome", measured.monochrome, "black and white"),
    )
    explanation = "How colourful the photo is, and whether colours are clipped."
    if measured.monochrome:
        return Aspect(
            "saturation", None, measures, explanation, "A black-and-white photo: saturation does not apply.", 1.0
        )
    muted = rising(measured.mean_chroma, 7.0, 2.0)
    pushed = falling(measured.saturated, 0.05, 0.012)
    score = min(muted, pushed)
    if pushed < muted:
        problem = f"{measured.saturated:.0%} of the pixels are over-saturated: lower the saturation or vibrance."
    else:
        problem = f"Colours look muted (mean chroma {measured.mean_chroma:.0f}): raise vibrance a little."
    advice = _graded(score, problem, problem, f"Saturation is natural (mean chroma {measured.mean_chroma:.0f}).")
    return Aspect("saturation", score, measures, explanation, advice, 1.0)


def tilt_aspect(measured: Tilt) -> Aspect:
    """Horizon or verticals off level: 1° passes unseen, 3° is plain to see. None without a trustworthy line."""
    measures = (
        Measure("angle", measured.angle, "degrees, + anticlockwise (rising to the right)"),
        Measure("support", measured.support, "line length / frame side"),
        Measure("prominence", measured.prominence, "votes against a typical angle's"),
    )
    explanation = "Whether the horizon and verticals are level (Hough transform of the edges)."
    if measured.angle is None:
        return Aspect(
            "tilt", None, measures, explanation, "No straight horizon or vertical to judge the level by.", 1.5
        )
    size = abs(measured.angle)
    score = falling(size, 3.0, 0.6)
    direction, turn = ("rising", "clockwise") if measured.angle > 0 else ("falling", "anticlockwise")
    problem = f"The photo is tilted {size:.1f}° (level lines {direction} to the right): rotate it {size:.1f}° {turn}."
    advice = _graded(score, problem, problem, f"The photo is level (within {size:.1f}°).")
    return Aspect("tilt", score, measures, explanation, advice, 1.5)


def brisque_aspect(score_brisque: float) -> Aspect:
    """BRISQUE: clean photos score about 0-25, a 1-px blur or JPEG quality 10 about 40-60."""
    score = falling(score_brisque, 50.0, 10.0)
    advice = _graded(
        score,
        f"Image quality is poor (BRISQUE {score_brisque:.0f}, 0 is pristine): compression, noise or blur "
        "is visible; export at a higher quality and check focus and ISO.",
        f"Some artefacts show (BRISQUE {score_brisque:.0f}): export at a higher JPEG quality.",
        f"Technical quality is good (BRISQUE {score_brisque:.0f}).",
    )
    measures = (Measure("brisque", score_brisque, "BRISQUE, 0 pristine - 100 poor"),)
    return Aspect("brisque", score, measures, "Natural-scene statistics against the LIVE database.", advice, 2.0)
