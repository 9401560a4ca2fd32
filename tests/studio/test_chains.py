"""Jobs down their provider chains, against local fakes of OpenAI, Replicate, Kling and Anthropic.

The official SDKs talk to the fakes over real HTTP (``*_BASE_URL``); the
job runs as the worker runs it. What must hold: a refusal falls through to
the next provider with one debit and every transfer in the processor log;
a chain that fails entirely gives the credits back and says why.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from PIL import Image
from skimage import data

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import LedgerEntry
from darkroom.photos.actions import AI_GENERATED_XMP, do_upload_photo
from darkroom.photos.models import Photo
from darkroom.photos.storage import get
from darkroom.privacy.models import Transfer
from darkroom.studio import runner
from darkroom.studio.actions import do_create_job
from darkroom.studio.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def selfie(bob: User) -> Photo:
    ledger.credit(bob, 20, key="order:bob", reference="order:bob", description="Pack")
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG", quality=90)
    return do_upload_photo(bob, io.BytesIO(buffer.getvalue()), len(buffer.getvalue()))


def _run(job: Job) -> Job:
    runner.run(job.pk)
    job.refresh_from_db()
    return job


def test_openai_refuses_and_instantid_makes_the_portrait_with_one_debit(
    providers: dict[str, Any], bob: User, selfie: Photo
) -> None:
    providers["openai"].reply_with("moderation_blocked_input")
    job = _run(do_create_job(bob, "generate", selfie, {"preset": "studio-grey"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    steps = [(step["provider"], step["outcome"]) for step in job.report["providers"]]
    assert steps == [("openai", "refused"), ("replicate", "made it")]
    assert "safety" in job.report["providers"][0]["reason"]
    # One debit of the portrait's price, no refund.
    assert ledger.balance(bob) == 20 - 2
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 0
    # Both providers received the photo; both transfers are on record, with their ids.
    transfers = list(Transfer.objects.filter(job=job).order_by("sent_at", "id"))
    assert [t.provider for t in transfers] == ["OpenAI", "Replicate"]
    assert all(t.photo_id == selfie.pk and "image" in t.data for t in transfers)
    assert transfers[1].request_id == job.remote["replicate"]
    # The result is marked as AI-made (IPTC DigitalSourceType, EU AI Act art. 50).
    assert job.result is not None
    assert AI_GENERATED_XMP in get(job.result.file_key)
    assert job.report["ai_generated"] is True


def test_when_every_provider_fails_the_job_fails_with_each_reason_and_the_credits_come_back(
    providers: dict[str, Any], bob: User, selfie: Photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = settings.PROFILE
    chains = {"free": {**profile.providers.chains["free"], "generate": ["openai", "replicate"]}}
    monkeypatch.setattr(
        settings,
        "PROFILE",
        profile.model_copy(update={"providers": profile.providers.model_copy(update={"chains": chains})}),
    )
    providers["openai"].reply_with("invalid_api_key")
    providers["replicate"].plan = ["prediction_failed_nsfw"]
    job = _run(do_create_job(bob, "generate", selfie, {"preset": "studio-grey"}))
    assert job.state == Job.State.FAILED
    assert "OpenAI failed: the operator's OpenAI key was refused" in job.error
    assert "Replicate refused" in job.error
    assert ledger.balance(bob) == 20  # refunded
    assert job.result is None
    assert Transfer.objects.filter(job=job).count() == 2  # the photo still went to both


def test_kling_makes_the_clip_and_a_restarted_worker_resumes_its_task(
    providers: dict[str, Any], bob: User, selfie: Photo
) -> None:
    from darkroom.engine.animate import animate

    clip = io.BytesIO()
    animate(data.astronaut(), clip, seconds=1.0, height=240)
    providers["kling"].video = clip.getvalue()
    job = _run(do_create_job(bob, "animate", selfie, {"seconds": "5"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result is not None
    assert job.result.is_video
    assert get(job.result.file_key) == clip.getvalue()
    assert job.report["providers"][-1]["provider"] == "kling"
    assert job.remote["kling"]
    assert Transfer.objects.get(job=job).provider == "Kling"


def test_claude_critiques_and_the_page_says_whose_critique_it_is(
    providers: dict[str, Any], bob: User, selfie: Photo
) -> None:
    job = _run(do_create_job(bob, "critique", selfie))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.report["critique"]["by"] == "Anthropic"
    assert len(job.report["critique"]["advice"]) == 3
    assert "measured" in job.report  # the engine's own measurements, beside Claude's opinion
    assert Transfer.objects.get(job=job).provider == "Anthropic"


def test_without_keys_nothing_leaves_the_machine(bob: User, selfie: Photo) -> None:
    assert not settings.OPENAI_API_KEY
    job = _run(do_create_job(bob, "generate", selfie, {"preset": "studio-grey"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert [step["provider"] for step in job.report["providers"]] == ["local"]
    assert not Transfer.objects.exists()
    assert job.result is not None
    assert AI_GENERATED_XMP not in get(job.result.file_key)


def test_the_photo_page_says_who_received_it_and_the_job_page_who_made_it(
    providers: dict[str, Any], bob: User, selfie: Photo
) -> None:
    from django.test import Client

    providers["openai"].reply_with("moderation_blocked_input")
    job = _run(do_create_job(bob, "generate", selfie, {"preset": "studio-grey"}))
    client = Client()
    client.force_login(bob)
    page = client.get(f"/photos/{selfie.public_id}/").content.decode()
    assert "Sent to OpenAI on" in page
    assert "Sent to Replicate on" in page
    status = client.get(f"/jobs/{job.public_id}/status").content.decode()
    assert "OpenAI refused" in status
    assert "Made by Replicate: an AI-generated image" in status
