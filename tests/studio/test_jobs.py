from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.studio import actions, runner
from darkroom.studio.actions import JobRefused, do_create_job
from darkroom.studio.models import Job
from tests.conftest import drain, make_photo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def photo(alice: User) -> Photo:
    data = make_photo(800, 600)
    return do_upload_photo(alice, io.BytesIO(data), len(data))


def test_it_queues_the_job_on_commit_and_the_consumer_runs_it(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    assert job.state == Job.State.QUEUED
    assert huey_queue.pending_count() == 1
    assert drain(huey_queue) == 2  # the job, then its "done" email (notify)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.result is not None
    assert job.result.kind == Photo.Kind.RESULT
    assert job.result.owner == alice
    assert (job.result.width, job.result.height) == (800, 600)
    assert job.progress == 100
    assert job.attempts == 1
    assert job.lease_expires_at is None


def test_nothing_is_enqueued_when_the_transaction_rolls_back(alice: User, photo: Photo, huey_queue: Any) -> None:
    from django.db import transaction

    def create_then_fail() -> None:
        with transaction.atomic():
            do_create_job(alice, "enhance", photo)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert not Job.objects.exists()
    assert huey_queue.pending_count() == 0


def test_it_refuses_someone_elses_photo_and_unknown_kinds(mallory: User, alice: User, photo: Photo) -> None:
    with pytest.raises(JobRefused, match="does not exist"):
        do_create_job(mallory, "enhance", photo)
    with pytest.raises(JobRefused, match="Unknown job type"):
        do_create_job(alice, "teleport", photo)
    assert not Job.objects.exists()


def test_a_job_is_claimed_once(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    assert actions.claim(job.pk)
    assert not actions.claim(job.pk)  # a duplicate message finds it taken


def test_a_duplicate_task_message_does_not_run_the_job_twice(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    assert runner.run(job.pk) == Job.State.SUCCEEDED
    assert runner.run(job.pk) == "skipped"
    assert Photo.objects.filter(kind=Photo.Kind.RESULT).count() == 1


def test_the_sweep_requeues_a_job_whose_worker_died(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    huey_queue.flush()
    assert actions.claim(job.pk)  # a worker took it … and was killed
    assert actions.sweep_jobs() == {"requeued": 0, "resent": 0, "failed": 0}  # the lease is still valid
    later = timezone.now() + datetime.timedelta(seconds=settings.JOB_LEASE_SECONDS + 1)
    with time_machine.travel(later):
        assert actions.sweep_jobs() == {"requeued": 1, "resent": 0, "failed": 0}
        job.refresh_from_db()
        assert job.state == Job.State.QUEUED
        assert drain(huey_queue) == 2  # the job, then its "done" email (notify)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
    assert job.attempts == 2


def test_the_sweep_fails_a_job_that_keeps_killing_workers(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    now = timezone.now()
    for attempt in range(settings.JOB_MAX_ATTEMPTS):
        with time_machine.travel(now + datetime.timedelta(seconds=attempt * (settings.JOB_LEASE_SECONDS + 1))):
            assert actions.claim(job.pk)
    with time_machine.travel(now + datetime.timedelta(hours=1)):
        assert actions.sweep_jobs() == {"requeued": 0, "resent": 0, "failed": 1}
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "interrupted several times" in job.error


def test_the_sweep_requeues_a_job_whose_message_was_lost(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    huey_queue.flush()
    with time_machine.travel(timezone.now() + actions.requeue_queued_after() + datetime.timedelta(seconds=1)):
        assert actions.sweep_jobs()["resent"] == 1
    assert drain(huey_queue) == 2  # the job, then its "done" email (notify)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED


def test_a_job_whose_input_was_deleted_fails_with_a_reason(alice: User, photo: Photo, huey_queue: Any) -> None:
    job = do_create_job(alice, "enhance", photo)
    photo.delete()
    drain(huey_queue)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.error == "The photo for this job was deleted before it could run."


def test_an_unexpected_error_is_retried_then_fails(
    alice: User, photo: Photo, huey_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(job: Job, progress: runner.Progress) -> Photo:
        raise OSError("disk full")

    monkeypatch.setitem(runner.HANDLERS, "enhance", broken)
    job = do_create_job(alice, "enhance", photo)
    huey_queue.flush()
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        runner.run(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.attempts == settings.JOB_MAX_ATTEMPTS
    assert job.error == "Something went wrong on our side while processing this photo."
    assert "disk full" not in job.error


def test_the_job_page_shows_progress_then_before_and_after(
    client: Client, alice: User, photo: Photo, huey_queue: Any
) -> None:
    client.force_login(alice)
    response = client.post("/jobs/", {"photo": str(photo.public_id), "kind": "enhance"})
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.public_id}/"
    status = client.get(f"/jobs/{job.public_id}/status")
    assert status.status_code == 200
    assert 'data-state="queued"' in status.content.decode()
    drain(huey_queue)
    status = client.get(f"/jobs/{job.public_id}/status")
    assert status.status_code == 286  # htmx: stop polling
    page = status.content.decode()
    job.refresh_from_db()
    assert f"/photos/{photo.public_id}/file/preview" in page  # before
    assert f"/photos/{job.result.public_id}/file/preview" in page  # after
    assert f"/photos/{job.result.public_id}/file/original?download=1" in page


def test_mallory_gets_404_for_alices_jobs(client: Client, alice: User, mallory: User, photo: Photo) -> None:
    job = do_create_job(alice, "enhance", photo)
    client.force_login(mallory)
    assert client.get(f"/jobs/{job.public_id}/").status_code == 404
    assert client.get(f"/jobs/{job.public_id}/status").status_code == 404
    assert client.post("/jobs/", {"photo": str(photo.public_id), "kind": "enhance"}).status_code == 404
    assert Job.objects.count() == 1
