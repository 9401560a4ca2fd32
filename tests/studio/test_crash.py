"""A real worker process killed in the middle of a job loses nothing.

Huey does not redeliver a task whose consumer was SIGKILLed; the job's lease
and the sweep are what bring the job back (DESIGN.md invariant 2).
"""

from __future__ import annotations

import base64
import collections
import io
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import LedgerEntry
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.profile import PROFILES_DIR
from darkroom.studio import actions
from darkroom.studio.actions import do_create_job
from darkroom.studio.models import Job
from tests.conftest import WorkerProcess, make_photo
from tests.studio.providers.fake_replicate import FakeReplicate

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


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


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


# --- 100 kills at random points of a job that Replicate does -------------------------
TRIALS = 100  # jobs cut off mid-run
THREADS = 8  # jobs in flight in each worker, so one kill lands in several, each at its own point
GFPGAN = "tencentarc/gfpgan:0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c"
KEY = b"darkroom-crash-test-signing-key!"


@pytest.fixture
def replicate_fake() -> Iterator[FakeReplicate]:
    """Replicate, slow where it hurts: the create answers 0.3 s after the prediction exists."""
    fake = FakeReplicate()
    fake.start()
    fake.create_delay = 0.3
    fake.plan = ["prediction_processing"] * 3 + ["prediction_succeeded"]
    fake.webhook_key = KEY
    yield fake
    fake.stop()


def _profile_with_enhance_on_replicate(tmp_path: Path) -> Path:
    """The demo profile, with the free tier's enhance on Replicate (GFPGAN) before the engine."""
    text = (PROFILES_DIR / "demo.toml").read_text()
    text = text.replace('critique = ["local"]\n', 'critique = ["local"]\nenhance = ["replicate", "local"]\n', 1)
    text = text.replace("[privacy]\n", f'[providers.replicate]\nrestore_version = "{GFPGAN}"\n\n[privacy]\n', 1)
    path = tmp_path / "crash.toml"
    path.write_text(text)
    return path


def test_a_hundred_kills_at_random_points_lose_nothing_and_pay_no_job_twice(
    alice: User,
    worker_process: type[WorkerProcess],
    replicate_fake: FakeReplicate,
    live_server: LiveServer,
    tmp_path: Path,
    settings: SettingsWrapper,
) -> None:
    """Every job ends; no job has two predictions at Replicate; refunds only for failures, once each.

    Each round starts a real worker with eight jobs in flight, waits a random
    time and SIGKILLs it, so the cut lands anywhere: before the create,
    while the create is out (the prediction exists, its id not yet known:
    Replicate's signed "start" webhook to the live server names it), while
    polling, downloading, checking or storing the result. The sweep gives
    each cut job to a later worker. Rounds go on until 100 running jobs
    have been cut.
    """
    lease = 2
    env = {
        "DARKROOM_JOB_LEASE_SECONDS": str(lease),
        "DARKROOM_JOB_MAX_ATTEMPTS": "20",  # a job may be cut many times; none may be failed for it
        # A kill between taking a task message and claiming its job loses the message: sent again after 5 s.
        "DARKROOM_JOB_REQUEUE_QUEUED_SECONDS": "5",
        "DARKROOM_PROFILE": str(_profile_with_enhance_on_replicate(tmp_path)),
        "REPLICATE_API_TOKEN": "r8_crash_test",
        "REPLICATE_BASE_URL": replicate_fake.url,
        "REPLICATE_POLL_SECONDS": "0.15",
        "REPLICATE_WEBHOOK_SECRET": "whsec_" + base64.b64encode(KEY).decode(),
        "PUBLIC_URL": live_server.url,
    }
    # The live server (this process) checks the webhooks with the same secret.
    settings.REPLICATE_WEBHOOK_SECRET = env["REPLICATE_WEBHOOK_SECRET"]
    settings.JOB_LEASE_SECONDS = lease
    settings.JOB_MAX_ATTEMPTS = 20
    settings.JOB_REQUEUE_QUEUED_SECONDS = 5
    data = make_photo(640, 480)
    photo = do_upload_photo(alice, io.BytesIO(data), len(data))
    start_balance = ledger.balance(alice)
    rng = random.Random(20261201)

    jobs: list[Job] = []
    cut = 0  # running jobs whose worker was killed: the sweep re-queues each once, when its lease has run out
    kills = 0
    alive: collections.deque[WorkerProcess] = collections.deque()
    while cut < TRIALS:
        assert kills <= 3 * TRIALS, f"only {cut} running jobs were cut by {kills} kills"
        while sum(1 for job in jobs if _state(job) == Job.State.QUEUED) < 2 * THREADS:
            jobs.append(do_create_job(alice, "enhance", photo))
        # Two workers at a time: the next one starts up while the oldest works and is killed.
        while len(alive) < 2:
            alive.append(worker_process("--workers", str(THREADS), env=env))
        oldest = alive.popleft()
        _wait_for(lambda w=oldest: "Executing darkroom.studio.tasks.run_job" in w.output(), 60, "a job", oldest)
        time.sleep(rng.uniform(0.0, 1.5))
        oldest.kill()
        kills += 1
        # What the periodic sweep does, for the jobs whose leases have run out by now.
        cut += actions.sweep_jobs()["requeued"]

    def all_final() -> bool:
        nonlocal cut
        cut += actions.sweep_jobs()["requeued"]
        return not Job.objects.exclude(state__in=Job.FINAL_STATES).exists()

    try:
        _wait_for(all_final, 120, "every job to end", alive[0])
    except AssertionError:
        stuck = Job.objects.exclude(state__in=Job.FINAL_STATES).values(
            "pk", "state", "attempts", "lease_expires_at", "enqueued_at", "remote", "result_id"
        )
        raise AssertionError(f"jobs that did not end: {list(stuck)}") from None
    made_by = collections.Counter(
        job.report["providers"][-1]["provider"] for job in Job.objects.filter(state=Job.State.SUCCEEDED)
    )
    print(f"{kills} kills cut {cut} running jobs of {len(jobs)}; made by {dict(made_by)}")  # shown with -s

    final = list(Job.objects.filter(pk__in=[job.pk for job in jobs]))
    states = collections.Counter(job.state for job in final)
    failures = [(job.attempts, job.error) for job in final if job.state == Job.State.FAILED]
    assert set(states) <= {Job.State.SUCCEEDED, Job.State.FAILED}, states
    assert not failures, failures  # a cut job is taken up again, never failed for it
    assert max(job.attempts for job in final) >= 2  # jobs really were cut and taken up again
    # At most one prediction (one charge) per job, told apart by the job's webhook address.
    creates = collections.Counter(
        r.body["webhook"].rstrip("/").rsplit("/", 1)[-1] for r in replicate_fake.api_requests("POST") if r.body
    )
    assert max(creates.values()) == 1, creates.most_common(3)
    # Credits: one debit per job, a refund only for a failed job, and only once.
    refunds = collections.Counter(
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).values_list("idempotency_key", flat=True)
    )
    assert all(count == 1 for count in refunds.values())
    assert len(refunds) == states[Job.State.FAILED]
    price = final[0].credits
    assert ledger.balance(alice) == start_balance - price * states[Job.State.SUCCEEDED]
    # One result per job that succeeded; the results of workers that lost their job were deleted.
    assert Photo.objects.filter(kind=Photo.Kind.RESULT).count() == states[Job.State.SUCCEEDED]
    assert all(job.result_id for job in final if job.state == Job.State.SUCCEEDED)
