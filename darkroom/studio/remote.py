"""The remote providers as chain steps: configuration from settings and the profile, memory on the job row.

Each ``*_step`` returns a callable the chain runs with its ``on_sent``; the
callable sends the job's stored photo (already cleaned of EXIF/GPS), so no
metadata leaves with it. Provider ids are written to ``Job.remote`` before
any waiting: a worker that dies mid-job hands the next one the same remote
prediction, never a second paid one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from PIL import Image, UnidentifiedImageError

from darkroom.engine.types import Image as Array
from darkroom.photos.storage import get
from darkroom.privacy.actions import do_record_transfer
from darkroom.studio.models import Job
from darkroom.studio.providers.base import Failed, ImageAnswer, OnSent, Sent, VideoAnswer


def on_sent_for(job: Job) -> OnSent:
    """The processor log for this job: every transfer of its photo or prompt, as it happens."""

    def record(sent: Sent) -> None:
        do_record_transfer(
            job.owner,
            provider=sent.provider,
            data=sent.data,
            photo=job.input,
            job=job,
            request_id=sent.request_id,
            provider_retention=sent.retention,
        )

    return record


def _change_remote(job_id: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Apply ``change`` to the job's ``remote`` under a row lock: the worker and a webhook may both write it."""
    with transaction.atomic():
        current = Job.objects.select_for_update().values_list("remote", flat=True).get(pk=job_id)
        changed = change(dict(current or {}))
        Job.objects.filter(pk=job_id).update(remote=changed)
    return changed


def memory(job: Job, provider: str) -> tuple[str | None, Callable[[str], None]]:
    """What an earlier attempt of this job started at ``provider``, and how to remember a new one."""
    job.refresh_from_db(fields=["remote"])
    recalled = job.remote.get(provider)

    def remember(remote_id: str) -> None:
        _change_remote(job.pk, lambda remote: {**remote, provider: remote_id})

    return (str(recalled) if recalled else None), remember


# Providers that find, on their own, the request an interrupted attempt made:
# Kling looks its task up by the job's external_task_id before creating one.
FINDS_ITS_OWN = frozenset({"kling"})
SENDING = "sending"


class JobJournal:
    """Which providers this job's attempts were waiting on when they stopped.

    Before a request that may cost money leaves, the provider's name goes
    into ``Job.remote["sending"]``; it comes out once any answer (or error)
    is back. A name still there when the job runs again means the worker
    died between sending and hearing back: the provider may have done (and
    billed) the work. Unless the attempt can be found again (an id that
    was remembered, or Kling's lookup by external id), that provider is not
    asked a second time, so no job is paid for twice. ``chain.run_chain``
    consults it.
    """

    def __init__(self, job: Job) -> None:
        self.job_id = job.pk

    def interrupted(self, provider: str) -> bool:
        remote = Job.objects.values_list("remote", flat=True).get(pk=self.job_id) or {}
        if provider not in remote.get(SENDING, []):
            return False
        return not remote.get(provider) and provider not in FINDS_ITS_OWN

    def sending(self, provider: str) -> None:
        _change_remote(self.job_id, lambda remote: {**remote, SENDING: sorted({*remote.get(SENDING, []), provider})})

    def answered(self, provider: str) -> None:
        _change_remote(
            self.job_id,
            lambda remote: {**remote, SENDING: [name for name in remote.get(SENDING, []) if name != provider]},
        )


# What leaves for a provider: enough for a portrait or a critique, never the full
# original (less data sent, and Replicate takes inline images only under 1 MB).
UPLOAD_LONG_SIDE = 1536


def input_bytes(job: Job, long_side: int = UPLOAD_LONG_SIDE) -> bytes:
    """The job's photo as a provider gets it: the cleaned original, at most ``long_side`` px, as JPEG."""
    assert job.input is not None
    stored = get(job.input.file_key)
    with Image.open(io.BytesIO(stored)) as picture:
        if max(picture.size) <= long_side and picture.format == "JPEG":
            return stored
        copy = picture.convert("RGB")
        copy.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=90)
        return buffer.getvalue()


def decode(answer: ImageAnswer, provider: str) -> Array:
    """A provider's image as RGB pixels; Failed when it is not an image Pillow can read."""
    try:
        with Image.open(io.BytesIO(answer.data)) as picture:
            picture.load()
            return np.asarray(picture.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise Failed(provider, f"{provider} sent back something that is not a picture.") from None


def openai_portrait_step(job: Job, prompt: str) -> Callable[[OnSent], ImageAnswer]:
    from darkroom.studio.providers import openai

    def run(on_sent: OnSent) -> ImageAnswer:
        return openai.generate_portrait(
            [input_bytes(job)],
            prompt,
            api_key=settings.OPENAI_API_KEY or "",
            base_url=settings.OPENAI_BASE_URL,
            model=settings.PROFILE.providers.openai.image_model,
            on_sent=on_sent,
        )

    return run


def replicate_image_step(
    job: Job, version: str, image_field: str, options: dict[str, Any]
) -> Callable[[OnSent], ImageAnswer] | None:
    """A Replicate model run on the job's photo (as ``image_field``, with ``options``); None without a version.

    The photo is read and shrunk only when the step runs: a chain that ends
    on the engine (no key) pays nothing for it.
    """
    if not version:
        return None
    from darkroom.studio.providers import replicate

    def run(on_sent: OnSent) -> ImageAnswer:
        recalled, remember = memory(job, "replicate")
        answer = replicate.run_prediction(
            version,
            {image_field: input_bytes(job), **options},
            api_token=settings.REPLICATE_API_TOKEN or "",
            base_url=settings.REPLICATE_BASE_URL,
            webhook_url=replicate_webhook_url(job),
            recalled=recalled,
            remember=remember,
            on_sent=on_sent,
            poll_interval=settings.REPLICATE_POLL_SECONDS,
        )
        return answer.as_image()

    return run


def replicate_webhook_url(job: Job) -> str | None:
    """Where Replicate reports this job's prediction; None unless the service has a public address and a secret."""
    if not (settings.PUBLIC_URL and settings.REPLICATE_WEBHOOK_SECRET):
        return None
    return settings.PUBLIC_URL.rstrip("/") + reverse("studio:replicate-webhook", args=[job.public_id])


def cancel_replicate(prediction_id: str) -> None:
    """Ask Replicate to stop a prediction no job will use (it bills while it runs)."""
    from darkroom.studio.providers import replicate

    replicate.cancel_prediction(
        prediction_id, api_token=settings.REPLICATE_API_TOKEN or "", base_url=settings.REPLICATE_BASE_URL
    )


def kling_video_step(job: Job, prompt: str, seconds: float) -> Callable[[OnSent], VideoAnswer]:
    from darkroom.studio.providers import kling

    def run(on_sent: OnSent) -> VideoAnswer:
        recalled, remember = memory(job, "kling")
        return kling.image_to_video(
            input_bytes(job),
            prompt,
            access_key=settings.KLING_ACCESS_KEY or "",
            secret_key=settings.KLING_SECRET_KEY or "",
            model=settings.PROFILE.providers.kling.model,
            base_url=settings.KLING_BASE_URL or kling.DEFAULT_BASE_URL,
            seconds=10 if seconds > 7.5 else 5,  # Kling makes 5 or 10 s clips
            external_task_id=str(job.public_id),
            recalled=recalled,
            remember=remember,
            on_sent=on_sent,
        )

    return run


def anthropic_critique_step(job: Job) -> Callable[[OnSent], dict[str, Any]]:
    """Claude's critique, in the shape the job page shows (the local critique's)."""
    from darkroom.studio.providers import anthropic

    def run(on_sent: OnSent) -> dict[str, Any]:
        answer = anthropic.critique_photo(
            input_bytes(job),
            api_key=settings.ANTHROPIC_API_KEY or "",
            base_url=settings.ANTHROPIC_BASE_URL,
            model=settings.PROFILE.providers.anthropic.model,
            on_sent=on_sent,
        )
        data = answer.model_dump()
        aspects = {
            name: {"name": name, "score": part["score"], "measures": [], "explanation": part["reason"], "advice": ""}
            for name, part in data["aspects"].items()
        }
        advice = [{"aspect": "", "score": None, "text": str(tip)} for tip in data["advice"]]
        return {"overall": data["overall"], "aspects": aspects, "advice": advice, "faces": [], "by": "Anthropic"}

    return run
