"""Jobs cut off halfway: a dead worker's provider call, Replicate's webhook, cancels that stop the paid work.

What must hold: a provider that an earlier attempt was waiting on when its
worker died is not asked again (so a job is never paid for twice) unless
the attempt can be found again; Replicate's signed webhook names a
prediction the dead worker never read; predictions no job wants are
cancelled; a worker whose job was cancelled under it stops.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper
from skimage import data

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import LedgerEntry
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.studio import actions, runner
from darkroom.studio.actions import do_cancel, do_create_job
from darkroom.studio.chain import INTERRUPTED
from darkroom.studio.models import Job
from darkroom.studio.runner import Heartbeat, JobGone, Outcome
from tests.conftest import drain
from tests.studio.providers.fake_replicate import signed_headers

pytestmark = pytest.mark.django_db(transaction=True)

GFPGAN = "tencentarc/gfpgan:0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c"
KEY = b"darkroom-test-signing-key-32-bytes!!"
SECRET = "whsec_" + base64.b64encode(KEY).decode()


@pytest.fixture
def photo(bob: User) -> Photo:
    ledger.credit(bob, 20, key="order:bob", reference="order:bob", description="Pack")
    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG", quality=90)
    return do_upload_photo(bob, io.BytesIO(buffer.getvalue()), len(buffer.getvalue()))


@pytest.fixture
def enhance_on_replicate(providers: dict[str, Any], settings: SettingsWrapper) -> dict[str, Any]:
    """Enhance runs on Replicate (GFPGAN), then the engine; webhooks on, with a public address."""
    profile = settings.PROFILE
    replicate = profile.providers.replicate.model_copy(update={"restore_version": GFPGAN})
    chains = {"free": {**profile.providers.chains["free"], "enhance": ["replicate", "local"]}}
    updated = profile.providers.model_copy(update={"replicate": replicate, "chains": chains})
    settings.PROFILE = profile.model_copy(update={"providers": updated})
    settings.PUBLIC_URL = "https://photos.example"
    settings.REPLICATE_WEBHOOK_SECRET = SECRET
    settings.REPLICATE_POLL_SECONDS = 0.1
    return providers


def _as_a_dead_worker_left_it(job: Job, remote: dict[str, Any]) -> Job:
    """The row as a worker SIGKILLed mid-call leaves it, once the sweep has re-queued it: ``remote`` as given."""
    Job.objects.filter(pk=job.pk).update(remote=remote)
    assert actions.claim(job.pk)  # attempt 1, which died
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED, lease_expires_at=None)
    return job


def _run(job: Job) -> Job:
    runner.run(job.pk)
    job.refresh_from_db()
    return job


def _deliver(client: Client, job: Job, body: dict[str, Any], *, key: bytes = KEY) -> Any:
    raw = json.dumps(body).encode()
    headers = signed_headers(raw, key, timestamp=int(time.time()))
    return client.post(
        f"/hooks/replicate/{job.public_id}/",
        raw,
        content_type="application/json",
        headers=headers,
    )


# --- a dead worker's call ---------------------------------------------------------
def test_a_provider_a_dead_worker_was_waiting_on_is_not_asked_again(
    providers: dict[str, Any], bob: User, photo: Photo
) -> None:
    job = do_create_job(bob, "generate", photo, {"preset": "studio-grey"})
    _as_a_dead_worker_left_it(job, {"sending": ["openai"]})
    job = _run(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert providers["openai"].requests == []  # OpenAI may have made (and billed) the first one
    steps = [(step["provider"], step["outcome"], step["reason"]) for step in job.report["providers"]]
    assert steps == [("openai", "skipped", INTERRUPTED), ("replicate", "made it", "")]
    assert job.remote["sending"] == ["openai"]  # the note stays: no later attempt may ask OpenAI either


def test_the_note_is_cleared_by_any_answer_even_a_refusal(providers: dict[str, Any], bob: User, photo: Photo) -> None:
    providers["openai"].reply_with("moderation_blocked_input")
    job = _run(do_create_job(bob, "generate", photo, {"preset": "studio-grey"}))
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.remote["sending"] == []
    assert len(providers["openai"].requests) == 1


def test_a_replicate_prediction_the_dead_worker_remembered_is_resumed(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo
) -> None:
    fake = enhance_on_replicate["replicate"]
    earlier = fake.seed(plan=["prediction_processing", "prediction_succeeded"])
    job = do_create_job(bob, "enhance", photo)
    _as_a_dead_worker_left_it(job, {"sending": ["replicate"], "replicate": earlier})
    job = _run(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert fake.api_requests("POST") == []  # no second prediction
    assert job.report["providers"][-1]["provider"] == "replicate"


def test_the_start_webhook_names_a_prediction_the_dead_worker_never_read(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client
) -> None:
    fake = enhance_on_replicate["replicate"]
    earlier = fake.seed(plan=["prediction_succeeded"])
    job = do_create_job(bob, "enhance", photo)
    _as_a_dead_worker_left_it(job, {"sending": ["replicate"]})
    response = _deliver(client, job, {"id": earlier, "status": "starting"})
    assert (response.status_code, response.content) == (200, b"recorded")
    job = _run(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.remote["replicate"] == earlier
    assert fake.api_requests("POST") == []
    assert job.report["providers"] == [
        {"provider": "replicate", "outcome": "made it", "reason": "", "attempts": 1, "name": "Replicate"}
    ]


def test_without_the_webhook_the_unnamed_prediction_is_given_up_and_the_engine_does_the_job(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo
) -> None:
    job = do_create_job(bob, "enhance", photo)
    _as_a_dead_worker_left_it(job, {"sending": ["replicate"]})
    job = _run(job)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert enhance_on_replicate["replicate"].api_requests() == []
    assert [step["provider"] for step in job.report["providers"]] == ["replicate", "local"]
    assert job.report["providers"][0]["outcome"] == "skipped"


def test_predictions_are_created_with_the_jobs_webhook(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo
) -> None:
    job = _run(do_create_job(bob, "enhance", photo))
    assert job.state == Job.State.SUCCEEDED, job.error
    (create,) = enhance_on_replicate["replicate"].api_requests("POST")
    assert create.body["webhook"] == f"https://photos.example/hooks/replicate/{job.public_id}/"
    assert create.body["webhook_events_filter"] == ["start", "completed"]


# --- the webhook's refusals --------------------------------------------------------
def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client
) -> None:
    job = do_create_job(bob, "enhance", photo)
    response = _deliver(client, job, {"id": "forged", "status": "starting"}, key=b"mallory's key")
    assert response.status_code == 400
    assert b"signature does not match" in response.content
    job.refresh_from_db()
    assert "replicate" not in job.remote


def test_a_webhook_without_headers_or_with_a_bad_body_is_refused(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client
) -> None:
    job = do_create_job(bob, "enhance", photo)
    bare = client.post(f"/hooks/replicate/{job.public_id}/", b"{}", content_type="application/json")
    assert bare.status_code == 400
    assert b"webhook-id header is missing" in bare.content
    nameless = _deliver(client, job, {"status": "starting"})
    assert nameless.status_code == 400
    assert b"no prediction id" in nameless.content


def test_webhooks_are_off_without_a_secret(bob: User, photo: Photo, client: Client) -> None:
    assert not settings.REPLICATE_WEBHOOK_SECRET
    job = do_create_job(bob, "enhance", photo)
    assert _deliver(client, job, {"id": "x", "status": "starting"}).status_code == 404


def test_a_webhook_for_a_job_that_is_gone_is_acknowledged(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client
) -> None:
    job = do_create_job(bob, "enhance", photo)
    job.delete()
    response = _deliver(client, job, {"id": "abc", "status": "succeeded"})
    assert (response.status_code, response.content) == (200, b"no such job")  # so Replicate stops retrying


# --- stopping paid work no one wants ----------------------------------------------
def test_cancelling_a_job_cancels_its_prediction_at_replicate(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, huey_queue: object
) -> None:
    fake = enhance_on_replicate["replicate"]
    prediction = fake.seed(plan=["prediction_processing"])
    job = do_create_job(bob, "enhance", photo)
    huey_queue.flush()  # type: ignore[attr-defined]  # a worker is waiting on the prediction:
    Job.objects.filter(pk=job.pk).update(remote={"replicate": prediction}, state=Job.State.RUNNING)
    assert do_cancel(job)
    drain(huey_queue)
    assert fake.predictions[prediction].canceled
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


def test_a_prediction_that_starts_after_its_job_ended_is_cancelled(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client, huey_queue: object
) -> None:
    fake = enhance_on_replicate["replicate"]
    late = fake.seed(plan=["prediction_processing"])
    job = do_create_job(bob, "enhance", photo)
    huey_queue.flush()  # type: ignore[attr-defined]
    assert do_cancel(job)
    response = _deliver(client, job, {"id": late, "status": "processing"})
    assert (response.status_code, response.content) == (200, b"cancelled")
    drain(huey_queue)
    assert fake.predictions[late].canceled


def test_a_second_prediction_for_a_job_that_has_one_is_cancelled(
    enhance_on_replicate: dict[str, Any], bob: User, photo: Photo, client: Client, huey_queue: object
) -> None:
    """A create that timed out but went through, then sent again: the stray one stops billing."""
    fake = enhance_on_replicate["replicate"]
    kept, stray = fake.seed(plan=["prediction_processing"]), fake.seed(plan=["prediction_processing"])
    job = do_create_job(bob, "enhance", photo)
    huey_queue.flush()  # type: ignore[attr-defined]
    Job.objects.filter(pk=job.pk).update(remote={"replicate": kept}, state=Job.State.RUNNING)
    assert _deliver(client, job, {"id": kept, "status": "processing"}).content == b"ok"
    assert _deliver(client, job, {"id": stray, "status": "processing"}).content == b"cancelled"
    assert _deliver(client, job, {"id": stray, "status": "canceled"}).content == b"ignored"
    drain(huey_queue)
    assert fake.predictions[stray].canceled
    assert not fake.predictions[kept].canceled


# --- a worker that lost its job ---------------------------------------------------
def test_a_job_cancelled_while_it_runs_stops_at_its_next_progress_report(
    bob: User, photo: Photo, monkeypatch: pytest.MonkeyPatch
) -> None:
    reached: list[int] = []

    def slow_enhance(job: Job, progress: runner.Progress) -> Outcome:
        progress(10)
        reached.append(10)
        do_cancel(Job.objects.get(pk=job.pk))  # the person presses Cancel on the job page
        progress(50)
        reached.append(50)  # never reached
        raise AssertionError("the handler went on after its job was cancelled")

    monkeypatch.setitem(runner.HANDLERS, "enhance", slow_enhance)
    job = do_create_job(bob, "enhance", photo)
    assert runner.run(job.pk) == "superseded"
    job.refresh_from_db()
    assert reached == [10]
    assert job.state == Job.State.CANCELLED
    assert not Photo.objects.filter(kind=Photo.Kind.RESULT).exists()
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


def test_a_worker_whose_job_was_claimed_again_learns_it_lost_it(bob: User, photo: Photo) -> None:
    job = do_create_job(bob, "enhance", photo)
    assert actions.claim(job.pk)
    beat = Heartbeat(job.pk, attempt=1)
    beat.report(5)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert actions.claim(job.pk)  # …and another worker took the job (attempt 2)
    with pytest.raises(JobGone):
        beat.report(60)
    assert not actions.do_fail(job.pk, "stale worker's failure", attempt=1)
    assert Job.objects.get(pk=job.pk).state == Job.State.RUNNING
