"""The worker's handle on the local engine: one model store per process, and moderation.

The engine itself holds no state (``darkroom/engine``); this module keeps the
loaded models for the life of a worker process, so the second job does not
pay for loading them again.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from darkroom.engine.models import ModelStore
from darkroom.engine.moderate import Verdict, moderate
from darkroom.engine.types import Image


class Flagged(Exception):
    """Moderation refused a photo; the message is for the user."""


@cache
def engine_store() -> ModelStore:
    """This process's models, each allowed its share of the cores.

    The consumer runs ``DARKROOM_WORKERS`` jobs at once; ncnn's and ONNX
    Runtime's thread pools spin while they wait, so two jobs that each take
    every core run 3-5× slower than with a share each (measured on 2 cores).
    ``DARKROOM_ENGINE_THREADS`` overrides the share.
    """
    huey: dict[str, Any] = settings.HUEY
    workers = int(huey["consumer"]["workers"])
    share = max(1, (os.cpu_count() or 1) // max(1, workers))
    threads = int(os.environ.get("DARKROOM_ENGINE_THREADS") or share)
    return ModelStore(Path(settings.MODELS_DIR), threads=max(1, threads))


def check_safe(image: Image, *, result: bool = False) -> Verdict:
    """Moderate ``image`` with the profile's threshold; Flagged (with a reason) when refused.

    Inputs are checked before any work, results before delivery.
    """
    threshold = settings.PROFILE.engine.moderation_threshold
    verdict = moderate(image, engine_store(), threshold)
    if not verdict.allowed:
        what, consequence = ("The result", "it was not delivered") if result else ("This photo", "no work was done")
        raise Flagged(
            f"{what} was flagged by the safety check as explicit content "
            f"(score {verdict.nsfw_score:.2f}, limit {threshold:.2f}), so {consequence}. "
            "If you think this is a mistake, contact the service's operator."
        )
    return verdict
