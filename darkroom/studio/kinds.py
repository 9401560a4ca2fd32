"""What each job kind does, on the local engine."""

from __future__ import annotations

import numpy as np
from PIL import Image

from darkroom.engine.enhance import enhance
from darkroom.photos.actions import do_store_result, load_image
from darkroom.photos.models import Photo
from darkroom.studio.models import Job
from darkroom.studio.runner import JobError, Progress, handles


@handles(Job.Kind.ENHANCE)
def run_enhance(job: Job, progress: Progress) -> Photo:
    """Local enhancement: white balance, levels and sharpening (engine.enhance)."""
    if job.input is None:
        raise JobError("The photo for this job was deleted before it could run.")
    image = load_image(job.input)
    progress(20)
    strength = float(job.params.get("strength", 1.0))
    enhanced, _report = enhance(np.asarray(image), strength=strength)
    progress(80)
    fmt = "PNG" if job.input.content_type == "image/png" else "JPEG"
    return do_store_result(job.owner, Image.fromarray(enhanced), fmt)
