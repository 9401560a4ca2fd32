"""A real worker process killed in the middle of a job loses nothing.

Huey does not redeliver a task whose consumer was SIGKILLed; the job's lease
and the sweep are what bring the job back (DESIGN.md invariant 2).
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

from darkroom.accounts.models import User
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.studio import actions
from darkroom.studio.actions import do_create_job
from darkroom.studio.models import Job
from tests.conftest import WorkerProcess, make_photo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LEASE = 2


def _wait_for(predicate: Any, timeout: float, what: str, worker: WorkerProcess | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"the worker exited while waiting for {what}:\n{worker.output()}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}" + (f"\nworker log:\n{worker.output()}" if worker else ""))


def _state(job: Job) -> str:
    job.refresh_from_db(fields=["state"])
    return job.state


def test_a_job_survives_its_worker_being_killed_mid_run(
    alice: User, worker_process: type[WorkerProcess], settings: Any
) -> None:
    settings.JOB_LEASE_SECONDS = LEASE
    # 24 MP: long enough (about a second) to be caught while running.
    data = make_photo(6000, 4000)
    photo = do_upload_photo(alice, io.BytesIO(data), len(data))
    env = {"DARKROOM_JOB_LEASE_SECONDS": str(LEASE)}
    first = worker_process(env=env)
    job = do_create_job(alice, "enhance", photo)
    _wait_for(lambda: _state(job) == Job.State.RUNNING, 60, "the job to start", first)
    first.kill()
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING  # stuck, as far as the database knows
    assert not Photo.objects.filter(kind=Photo.Kind.RESULT).exists()

    second = worker_process(env=env)
    # The periodic sweep runs every minute; call it as soon as the lease can have run out.
    _wait_for(lambda: actions.sweep_jobs()["requeued"] == 1, LEASE + 10, "the lease to run out")
    _wait_for(lambda: _state(job) == Job.State.SUCCEEDED, 60, "the re-queued job to finish", second)
    job.refresh_from_db()
    assert job.attempts == 2
    assert Photo.objects.filter(kind=Photo.Kind.RESULT).count() == 1


def test_a_worker_stopped_with_sigterm_finishes_its_job_first(alice: User, worker_process: type[WorkerProcess]) -> None:
    data = make_photo(6000, 4000)
    photo = do_upload_photo(alice, io.BytesIO(data), len(data))
    worker = worker_process()
    job = do_create_job(alice, "enhance", photo)
    _wait_for(lambda: _state(job) == Job.State.RUNNING, 60, "the job to start", worker)
    worker.process.terminate()  # graceful: Huey runs with graceful_signal=TERM
    worker.process.wait(timeout=60)
    assert _state(job) == Job.State.SUCCEEDED, worker.output()
