"""What a person may ask of each job kind, checked before the job exists.

Forms and the API send strings; each kind's options are parsed here into
plain values, and anything out of range is refused with a sentence the
person can act on (``OptionsRefused``), so a job never starts on options the
engine would reject halfway through.
"""

from __future__ import annotations

from typing import Any

from darkroom.engine.animate import STYLES as ANIMATE_STYLES
from darkroom.engine.backdrops import PRESETS
from darkroom.engine.looks import LOOKS

UPSCALE_FACTORS = (2, 4)
MAX_PROMPT = 500
ANIMATE_SECONDS = (2.0, 10.0)


class OptionsRefused(ValueError):
    """An option a job kind does not take, or a value out of its range; the message is for the user."""


def _number(raw: Any, name: str, low: float, high: float, default: float) -> float:
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise OptionsRefused(f"{name} must be a number between {low:g} and {high:g}.") from None
    if not low <= value <= high:
        raise OptionsRefused(f"{name} must be between {low:g} and {high:g}; {value:g} is outside.")
    return value


def _choice(raw: Any, name: str, choices: list[str], default: str | None) -> str | None:
    if raw in (None, ""):
        return default
    if raw not in choices:
        raise OptionsRefused(f"{name} {raw!r} is not offered; choose one of: {', '.join(choices)}.")
    return str(raw)


def parse(kind: str, raw: dict[str, Any], *, prompts: bool = False) -> dict[str, Any]:
    """The options of a ``kind`` job from what the person sent; OptionsRefused when something is off.

    ``prompts``: a remote image model is in this person's chain and has its
    key, so a scene described in words can be made (the engine has presets only).
    """
    known = {
        "enhance": {"strength"},
        "restore-faces": set(),
        "upscale": {"scale"},
        "critique": set(),
        "generate": {"preset", "look", "prompt"},
        "animate": {"style", "seconds"},
    }[kind]
    unknown = sorted(set(raw) - known)
    if unknown:
        raise OptionsRefused(f"{', '.join(unknown)}: not an option of this job.")
    if kind == "enhance":
        return {"strength": _number(raw.get("strength"), "Strength", 0.0, 1.0, 1.0)}
    if kind == "upscale":
        scale = _number(raw.get("scale"), "Scale", 2, 4, 2)
        if scale not in UPSCALE_FACTORS:
            raise OptionsRefused("Scale must be 2 or 4.")
        return {"scale": int(scale)}
    if kind == "generate":
        prompt = str(raw.get("prompt") or "").strip()
        if prompt and not prompts:
            raise OptionsRefused(
                "Describing a scene in words needs an AI provider, which this service does not use; "
                "choose one of the ready-made scenes instead."
            )
        if len(prompt) > MAX_PROMPT:
            raise OptionsRefused(f"Describe the scene in at most {MAX_PROMPT} characters.")
        preset = _choice(raw.get("preset"), "Scene", sorted(PRESETS), None)
        if preset is None:
            raise OptionsRefused(f"Choose a scene: {', '.join(sorted(PRESETS))}.")
        chosen = {"preset": preset, "look": _choice(raw.get("look"), "Look", sorted(LOOKS), None)}
        return {**chosen, "prompt": prompt} if prompt else chosen
    if kind == "animate":
        low, high = ANIMATE_SECONDS
        return {
            "style": _choice(raw.get("style"), "Style", list(ANIMATE_STYLES), ANIMATE_STYLES[0]),
            "seconds": _number(raw.get("seconds"), "Length", low, high, 5.0),
        }
    return {}
