"""What each job kind does: the profile's provider chain, ending on the local engine.

Every handler checks its input with moderation before any work and its
result before delivery (``engine.check_safe``), whoever made it; reports
progress as it goes; and returns the stored result with what was measured
and which provider made it (or refused, and why).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np
from django.conf import settings
from PIL import Image

from darkroom.engine.sizing import ANIMATE_WORKING_SIDE, SCENE_WORKING_SIDE, shrink_to
from darkroom.engine.types import Image as Array
from darkroom.photos.actions import do_store_result, do_store_video_result, load_image
from darkroom.photos.models import Photo
from darkroom.studio.actions import attach_result
from darkroom.studio.chain import DISPLAY, ChainFailed, run_chain, steps_report
from darkroom.studio.engine import Flagged, check_safe, engine_store
from darkroom.studio.models import Job
from darkroom.studio.providers.base import ImageAnswer, OnSent
from darkroom.studio.remote import (
    JobJournal,
    anthropic_critique_step,
    decode,
    kling_video_step,
    on_sent_for,
    openai_portrait_step,
    replicate_image_step,
)
from darkroom.studio.runner import JobError, Outcome, Progress, handles

T = TypeVar("T")


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
    ai_generated = bool(report.get("ai_generated"))
    result = do_store_result(
        job.owner, Image.fromarray(image), fmt, ai_generated=ai_generated, within=_attach(job, report)
    )
    return Outcome(result, report)


def _attach(job: Job, report: dict[str, Any]) -> Callable[[Photo], None]:
    """Link the result to the job in the transaction that stores it (``actions.attach_result``)."""
    return lambda result: attach_result(job.pk, job.attempts, result, report)


def _chain(job: Job, steps: Mapping[str, Callable[[OnSent], T] | None], report: dict[str, Any]) -> T:
    """Run the profile's chain for this job's kind and tier; a chain that fails ends the job with every reason."""
    from darkroom.billing.plans import tier_of

    chain = settings.PROFILE.providers.chain(tier_of(job.owner), job.feature)
    try:
        runnable = {name: step for name, step in steps.items() if step is not None}
        answer, done = run_chain(chain, runnable, on_sent=on_sent_for(job), journal=JobJournal(job))
    except ChainFailed as failed:
        Job.objects.filter(pk=job.pk).update(report={**report, "providers": steps_report(failed.steps)})
        raise JobError(str(failed)) from None
    report["providers"] = steps_report(done)
    return answer


Made = tuple[Array, dict[str, Any]]  # the result's pixels, and what was done


def _remote(provider: str, step: Callable[[OnSent], ImageAnswer] | None) -> Callable[[OnSent], Made] | None:
    """A remote image step as the chain runs it: the answer decoded, and marked as AI-made."""
    if step is None:
        return None

    def run(on_sent: OnSent) -> Made:
        answer = step(on_sent)
        return decode(answer, DISPLAY[provider]), {"by": DISPLAY[provider], "ai_generated": True}

    return run


@handles(Job.Kind.ENHANCE)
def run_enhance(job: Job, progress: Progress) -> Outcome:
    """Exposure, white balance, local contrast, denoise and sharpening (engine.enhance), or Replicate's."""
    from darkroom.engine.enhance import enhance

    image, report = _input(job)
    progress(10)

    def local(_sent: OnSent) -> Made:
        enhanced, measured = enhance(image, strength=float(job.params.get("strength", 1.0)))
        return enhanced, {"enhance": _as_dict(measured)}

    version = settings.PROFILE.providers.replicate.restore_version
    replicate = replicate_image_step(job, version, "img", {"version": "v1.4", "scale": 1})
    enhanced, details = _chain(job, {"local": local, "replicate": _remote("replicate", replicate)}, report)
    progress(85)
    return _deliver(job, enhanced, {**report, **details})


@handles(Job.Kind.RESTORE_FACES)
def run_restore_faces(job: Job, progress: Progress) -> Outcome:
    """Each face through Real-ESRGAN and blended back (engine.restore), or GFPGAN on Replicate."""
    from darkroom.engine.restore import restore_faces

    image, report = _input(job)
    progress(5)

    def local(_sent: OnSent) -> Made:
        restored, measured = restore_faces(
            image,
            engine_store(),
            max_faces=settings.PROFILE.engine.restore_max_faces,
            progress=_stage(progress, 5, 95),
        )
        details = _as_dict(measured)
        if not details.get("restored"):
            raise JobError("No face large enough to restore was found in this photo.")
        return restored, {"restore": details}

    version = settings.PROFILE.providers.replicate.restore_version
    replicate = replicate_image_step(job, version, "img", {"version": "v1.4", "scale": 1})
    restored, details = _chain(job, {"local": local, "replicate": _remote("replicate", replicate)}, report)
    return _deliver(job, restored, {**report, **details})


@handles(Job.Kind.UPSCALE)
def run_upscale(job: Job, progress: Progress) -> Outcome:
    """2× (the compact network, seconds) or 4× (x4plus, minutes) Real-ESRGAN, tiled, or Replicate's."""
    from darkroom.engine.superres import upscale

    image, report = _input(job)
    scale = int(job.params.get("scale", 2))
    progress(2)

    def local(_sent: OnSent) -> Made:
        try:
            larger = upscale(image, engine_store(), scale=scale, progress=_stage(progress, 2, 95))
        except ValueError as refused:
            raise JobError(str(refused)) from None
        return larger, {}

    version = settings.PROFILE.providers.replicate.upscale_version
    replicate = replicate_image_step(job, version, "image", {"scale": scale, "face_enhance": False})
    larger, details = _chain(job, {"local": local, "replicate": _remote("replicate", replicate)}, report)
    details["upscale"] = {"scale": scale, "size": [larger.shape[1], larger.shape[0]]}
    return _deliver(job, larger, {**report, **details})


@handles(Job.Kind.CRITIQUE)
def run_critique(job: Job, progress: Progress) -> Outcome:
    """Claude's critique on Pro, else the engine's measured one; the annotated copy is the result either way."""
    from darkroom.engine.critique import critique, critique_overlay

    image, report = _input(job)
    progress(5)
    measured = critique(image, engine_store(), progress=_stage(progress, 5, 60))
    local_report = _as_dict(measured)
    remote = anthropic_critique_step(job)
    steps: dict[str, Callable[[OnSent], dict[str, Any]]] = {"local": lambda _sent: local_report, "anthropic": remote}
    verdict = _chain(job, steps, report)
    progress(90)
    extra = {} if verdict is local_report else {"measured": local_report}
    return _deliver(job, critique_overlay(image, measured), {**report, "critique": verdict, **extra})


def _scene_prompt(job: Job) -> str:
    from darkroom.engine.backdrops import PRESETS

    preset = PRESETS[job.params["preset"]]
    written = str(job.params.get("prompt") or "").strip()
    scene = written or preset.description
    return (
        f"A photographic portrait of the person in the photo: {scene} "
        "Keep their face, features, skin tone and hair exactly as they are; natural light, realistic."
    )


@handles(Job.Kind.GENERATE)
def run_generate(job: Job, progress: Progress) -> Outcome:
    """A portrait in a scene: OpenAI, then InstantID on Replicate, then the engine's cut-out on a backdrop."""
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.scene import compose_scene
    from darkroom.engine.segment import person_mask

    image, report = _input(job)
    image = shrink_to(image, SCENE_WORKING_SIDE)
    progress(10)
    if not detect_faces(image, engine_store(), mesh=False):
        raise JobError("No person was found in this photo. A portrait needs a selfie or a photo of someone.")

    def local(_sent: OnSent) -> Made:
        mask = person_mask(image, engine_store())
        progress(60)
        try:
            portrait, measured = compose_scene(image, mask, preset=job.params["preset"], look=job.params.get("look"))
        except ValueError as refused:
            raise JobError(str(refused)) from None
        return portrait, {"scene": _as_dict(measured), "ai_generated": False}

    prompt = _scene_prompt(job)
    version = settings.PROFILE.providers.replicate.instantid_version
    replicate = replicate_image_step(job, version, "image", {"prompt": prompt})
    steps = {
        "local": local,
        "openai": _remote("openai", openai_portrait_step(job, prompt)),
        "replicate": _remote("replicate", replicate),
    }
    portrait, details = _chain(job, steps, report)
    progress(90)
    return _deliver(job, portrait, {**report, **details})


@handles(Job.Kind.ANIMATE)
def run_animate(job: Job, progress: Progress) -> Outcome:
    """A clip: Kling's image-to-video, else the engine's 720p push-in, pan or parallax."""
    image, report = _input(job)
    image = shrink_to(image, ANIMATE_WORKING_SIDE)
    progress(5)
    seconds = float(job.params.get("seconds", 5.0))

    def kling(on_sent: OnSent) -> tuple[bytes, dict[str, Any]]:
        prompt = "The person in the photo moves naturally; gentle camera motion."
        answer = kling_video_step(job, prompt, seconds)(on_sent)
        return answer.data, {"animate": {"by": "Kling"}, "ai_generated": True}

    video, details = _chain(job, {"local": lambda _sent: _local_clip(job, image, progress), "kling": kling}, report)
    frames, count = _sample_frames(video)
    details["animate"] = {**details.get("animate", {}), "frames": count}
    try:
        # Every quarter of the clip, not only the poster: a push-in ends on a crop
        # the first frame never shows, and parallax shows inpainted background.
        verdicts = [check_safe(frame, result=True).to_dict() for frame in frames]
    except Flagged as flagged:
        raise JobError(str(flagged)) from None
    report["result_moderation"] = max(verdicts, key=lambda verdict: verdict["nsfw_score"])
    report = {**report, **details}
    result = do_store_video_result(job.owner, video, Image.fromarray(frames[0]), within=_attach(job, report))
    return Outcome(result, report)


def _local_clip(job: Job, image: Array, progress: Progress) -> tuple[bytes, dict[str, Any]]:
    from darkroom.engine.animate import animate
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.segment import person_mask

    style = job.params.get("style", "push-in")
    faces = detect_faces(image, engine_store(), mesh=False)
    if style == "parallax" and not faces:
        raise JobError("Parallax needs a person in the photo; try the push-in or pan style instead.")
    mask = person_mask(image, engine_store()) if style == "parallax" else None
    progress(15)
    video = io.BytesIO()
    try:
        measured = animate(
            image,
            video,
            style=style,
            focus=faces[0].centre if faces else None,
            person_mask=mask,
            seconds=float(job.params.get("seconds", 5.0)),
            progress=_stage(progress, 15, 95),
        )
    except ValueError as refused:
        raise JobError(str(refused)) from None
    details = {**_as_dict(measured), "seconds": round(measured.frames / measured.fps, 2)}
    return video.getvalue(), {"animate": details}


def _sample_frames(mp4: bytes, samples: int = 4) -> tuple[list[Array], int]:
    """The clip's first frame and one at each further quarter, and how many frames it has; JobError if unreadable."""
    import av

    try:
        with av.open(io.BytesIO(mp4), mode="r") as container:
            stream = container.streams.video[0]
            count = stream.frames or sum(1 for _ in container.decode(video=0))
        wanted = {round(index * (count - 1) / samples) for index in range(samples)}
        frames = []
        with av.open(io.BytesIO(mp4), mode="r") as container:
            for index, frame in enumerate(container.decode(video=0)):
                if index in wanted:
                    frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
    except (av.error.FFmpegError, IndexError):
        raise JobError("The clip came back unreadable; please try again.") from None
    if not frames:
        raise JobError("The clip came out empty; please try again.")
    return frames, count
