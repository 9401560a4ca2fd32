"""What each job kind does, on the local engine.

Every handler checks its input with moderation before any work and its
result before delivery (``engine.check_safe``), reports progress as it
goes, and returns the stored result with what the engine measured.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image

from darkroom.engine.sizing import ANIMATE_WORKING_SIDE, SCENE_WORKING_SIDE, shrink_to
from darkroom.engine.types import Image as Array
from darkroom.photos.actions import do_store_result, do_store_video_result, load_image
from darkroom.studio.engine import Flagged, check_safe, engine_store
from darkroom.studio.models import Job
from darkroom.studio.runner import JobError, Outcome, Progress, handles


def _as_dict(report: Any) -> dict[str, Any]:
    if hasattr(report, "to_dict"):
        result: dict[str, Any] = report.to_dict()
        return result
    return dataclasses.asdict(report)


def _stage(progress: Progress, start: int, end: int) -> Any:
    """An engine progress callback (fraction 0-1) reporting into ``start``-``end`` percent."""

    def report(fraction: float) -> None:
        progress(start + round((end - start) * min(1.0, max(0.0, fraction))))

    return report


def _input(job: Job) -> tuple[Array, dict[str, Any]]:
    """The job's photo as an RGB array, after moderation; JobError when it is gone or flagged."""
    if job.input is None:
        raise JobError("The photo for this job was deleted before it could run.")
    image = np.asarray(load_image(job.input))
    try:
        verdict = check_safe(image)
    except Flagged as flagged:
        raise JobError(str(flagged)) from None
    return image, {"input_moderation": verdict.to_dict()}


def _deliver(job: Job, image: Array, report: dict[str, Any]) -> Outcome:
    try:
        report["result_moderation"] = check_safe(image, result=True).to_dict()
    except Flagged as flagged:
        raise JobError(str(flagged)) from None
    assert job.input is not None
    fmt = "PNG" if job.input.content_type == "image/png" else "JPEG"
    return Outcome(do_store_result(job.owner, Image.fromarray(image), fmt), report)


@handles(Job.Kind.ENHANCE)
def run_enhance(job: Job, progress: Progress) -> Outcome:
    """Exposure, white balance, local contrast, denoise and sharpening (engine.enhance)."""
    from darkroom.engine.enhance import enhance

    image, report = _input(job)
    progress(20)
    enhanced, measured = enhance(image, strength=float(job.params.get("strength", 1.0)))
    progress(80)
    return _deliver(job, enhanced, {**report, "enhance": _as_dict(measured)})


@handles(Job.Kind.RESTORE_FACES)
def run_restore_faces(job: Job, progress: Progress) -> Outcome:
    """Each face through Real-ESRGAN and blended back (engine.restore)."""
    from darkroom.engine.restore import restore_faces

    image, report = _input(job)
    progress(5)
    restored, measured = restore_faces(
        image,
        engine_store(),
        max_faces=settings.PROFILE.engine.restore_max_faces,
        progress=_stage(progress, 5, 95),
    )
    details = _as_dict(measured)
    if not details.get("restored"):
        raise JobError("No face large enough to restore was found in this photo.")
    return _deliver(job, restored, {**report, "restore": details})


@handles(Job.Kind.UPSCALE)
def run_upscale(job: Job, progress: Progress) -> Outcome:
    """2× (the compact network, seconds) or 4× (x4plus, minutes) Real-ESRGAN, tiled (engine.superres)."""
    from darkroom.engine.superres import upscale

    image, report = _input(job)
    scale = int(job.params.get("scale", 2))
    progress(2)
    try:
        larger = upscale(image, engine_store(), scale=scale, progress=_stage(progress, 2, 95))
    except ValueError as refused:
        raise JobError(str(refused)) from None
    return _deliver(job, larger, {**report, "upscale": {"scale": scale, "size": [larger.shape[1], larger.shape[0]]}})


@handles(Job.Kind.CRITIQUE)
def run_critique(job: Job, progress: Progress) -> Outcome:
    """Measured scores, advice and an annotated copy (engine.critique); the copy is the result."""
    from darkroom.engine.critique import critique, critique_overlay

    image, report = _input(job)
    progress(5)
    measured = critique(image, engine_store(), progress=_stage(progress, 5, 85))
    overlay = critique_overlay(image, measured)
    progress(90)
    return _deliver(job, overlay, {**report, "critique": _as_dict(measured)})


@handles(Job.Kind.GENERATE)
def run_generate(job: Job, progress: Progress) -> Outcome:
    """The person cut out and placed on a generated backdrop, harmonised, with a look (engine.scene)."""
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.scene import compose_scene
    from darkroom.engine.segment import person_mask

    image, report = _input(job)
    image = shrink_to(image, SCENE_WORKING_SIDE)
    progress(10)
    if not detect_faces(image, engine_store(), mesh=False):
        raise JobError("No person was found in this photo. A portrait needs a selfie or a photo of someone.")
    mask = person_mask(image, engine_store())
    progress(60)
    try:
        portrait, measured = compose_scene(image, mask, preset=job.params["preset"], look=job.params.get("look"))
    except ValueError as refused:
        raise JobError(str(refused)) from None
    progress(90)
    return _deliver(job, portrait, {**report, "scene": _as_dict(measured), "ai_generated": False})


@handles(Job.Kind.ANIMATE)
def run_animate(job: Job, progress: Progress) -> Outcome:
    """A 720p H.264 clip: push-in, pan or parallax, centred on the face (engine.animate)."""
    from darkroom.engine.animate import animate
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.segment import person_mask

    image, report = _input(job)
    image = shrink_to(image, ANIMATE_WORKING_SIDE)
    progress(5)
    style = job.params.get("style", "push-in")
    faces = detect_faces(image, engine_store(), mesh=False)
    focus = faces[0].centre if faces else None
    mask = person_mask(image, engine_store()) if style == "parallax" else None
    if style == "parallax" and not faces:
        raise JobError("Parallax needs a person in the photo; try the push-in or pan style instead.")
    progress(15)
    video = io.BytesIO()
    try:
        measured = animate(
            image,
            video,
            style=style,
            focus=focus,
            person_mask=mask,
            seconds=float(job.params.get("seconds", 5.0)),
            progress=_stage(progress, 15, 95),
        )
    except ValueError as refused:
        raise JobError(str(refused)) from None
    details = {**_as_dict(measured), "seconds": round(measured.frames / measured.fps, 2)}
    frames = _sample_frames(video.getvalue(), measured.frames)
    try:
        # Every quarter of the clip, not only the poster: a push-in ends on a crop
        # the first frame never shows, and parallax shows inpainted background.
        verdicts = [check_safe(frame, result=True).to_dict() for frame in frames]
    except Flagged as flagged:
        raise JobError(str(flagged)) from None
    report["result_moderation"] = max(verdicts, key=lambda verdict: verdict["nsfw_score"])
    result = do_store_video_result(job.owner, video.getvalue(), Image.fromarray(frames[0]))
    return Outcome(result, {**report, "animate": details})


def _sample_frames(mp4: bytes, count: int, samples: int = 4) -> list[Array]:
    """The clip's first frame and one at each further quarter, decoded from the MP4 just made."""
    import av

    wanted = {round(index * (count - 1) / samples) for index in range(samples)}
    frames = []
    with av.open(io.BytesIO(mp4), mode="r") as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
    if not frames:
        raise JobError("The clip came out empty; please try again.")
    return frames
