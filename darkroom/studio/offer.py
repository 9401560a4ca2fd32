"""What the photo page offers to do with a photo: each job kind this service runs, with its options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from darkroom.accounts.models import User
from darkroom.photos.models import Photo
from darkroom.studio.models import Job

# One line each, in the words of the button's neighbour on the page.
_BLURBS = {
    Job.Kind.ENHANCE: "Exposure, colour, local contrast, noise and sharpness, corrected from measurements.",
    Job.Kind.RESTORE_FACES: "Each face redrawn sharper with Real-ESRGAN and blended back.",
    Job.Kind.UPSCALE: "More pixels with Real-ESRGAN: 2× takes seconds, 4× (more detail) minutes.",
    Job.Kind.CRITIQUE: "Scores for focus, exposure, colour, composition and faces, with three tips.",
    Job.Kind.GENERATE: "You, cut out and placed on a studio backdrop, with an optional look.",
    Job.Kind.ANIMATE: "A 720p clip: a slow push-in, a pan, or a 3-D parallax of you and the background.",
}


@dataclass(frozen=True)
class Offer:
    """One job kind as the photo page shows it."""

    kind: str
    label: str
    blurb: str
    price: int
    refusal: str = ""
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    limit: str = ""


def _choices(kind: str) -> dict[str, list[tuple[str, str]]]:
    if kind == Job.Kind.GENERATE:
        from darkroom.engine.backdrops import PRESETS
        from darkroom.engine.looks import LOOKS

        return {
            "preset": [(name, preset.label) for name, preset in PRESETS.items()],
            "look": [("", "No look"), *((name, look.label) for name, look in LOOKS.items())],
        }
    if kind == Job.Kind.ANIMATE:
        return {"style": [("push-in", "Push in"), ("pan", "Pan"), ("parallax", "Parallax (people)")]}
    if kind == Job.Kind.UPSCALE:
        return {"scale": [("2", "2× (quick)"), ("4", "4× (detailed, slow)")]}
    return {}


def offered_jobs(user: Any, photo: Photo) -> list[Offer]:
    """The job kinds of this profile, priced for ``user``, each with why it cannot run now (if so)."""
    from darkroom.billing.plans import can_use, job_price, tier_of

    assert isinstance(user, User)
    features = settings.PROFILE.features
    offers = []
    for kind in Job.Kind:
        feature = kind.value.replace("-", "_")
        if not getattr(features, feature, False):
            continue
        refusal = "" if can_use(user, feature) else "Part of Pro."
        limit = ""
        if kind == Job.Kind.UPSCALE:
            engine = settings.PROFILE.engine
            x2, x4 = (
                engine.upscale_x2_max_megapixels.of(tier_of(user)),
                engine.upscale_x4_max_megapixels.of(tier_of(user)),
            )
            limit = f"Photos of up to {x2:g} MP for 2×, {x4:g} MP for 4×."
            if not refusal and photo.width * photo.height > x2 * 1e6:
                refusal = f"This photo is {photo.width * photo.height / 1e6:.1f} MP; upscaling takes up to {x2:g} MP."
        offers.append(
            Offer(
                kind=kind.value,
                label=kind.label,
                blurb=_BLURBS[kind],
                price=job_price(user, feature),
                refusal=refusal,
                choices=_choices(kind),
                limit=limit,
            )
        )
    return offers
