"""A job's credits: debited with the row, refunded once if it fails, never below zero (DESIGN.md invariant 2)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import transaction

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import LedgerEntry
from darkroom.photos.actions import do_upload_photo
from darkroom.photos.models import Photo
from darkroom.studio import actions, runner
from darkroom.studio.actions import JobRefused, do_create_job
from darkroom.studio.models import Job
from tests.billing.test_concurrency import _in_threads
from tests.conftest import make_photo

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bob_photo(bob: User) -> Photo:
    data = make_photo(320, 240)
    return do_upload_photo(bob, io.BytesIO(data), len(data))


def _buy(user: User, credits: int) -> None:
    ledger.credit(user, credits, key=f"order:test-{user.pk}-{credits}", reference="order", description="Pack")


def test_a_job_costs_its_profile_price(bob: User, bob_photo: Photo) -> None:
    _buy(bob, 5)
    job = do_create_job(bob, "enhance", bob_photo)
    assert job.credits == 1
    assert ledger.balance(bob) == 4
    entry = LedgerEntry.objects.get(idempotency_key=f"job:{job.pk}:debit")
    assert (entry.amount, entry.reference) == (-1, str(job.public_id))


def test_without_enough_credits_there_is_no_job_and_no_debit(bob: User, bob_photo: Photo, huey_queue: Any) -> None:
    _buy(bob, 5)
    with pytest.raises(JobRefused, match=r"Animate costs 10 credits and your balance is 5\. Buy credits"):
        do_create_job(bob, "animate", bob_photo, {"seconds": "2"})
    assert not Job.objects.exists()
    assert ledger.balance(bob) == 5
    assert huey_queue.pending_count() == 0


def test_a_rolled_back_creation_takes_nothing(bob: User, bob_photo: Photo, huey_queue: Any) -> None:
    _buy(bob, 5)

    def create_then_fail() -> None:
        with transaction.atomic():
            do_create_job(bob, "enhance", bob_photo)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert ledger.balance(bob) == 5
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DEBIT).exists()


def test_a_failed_job_gives_its_credits_back_exactly_once(bob: User, bob_photo: Photo) -> None:
    _buy(bob, 5)
    job = do_create_job(bob, "generate", bob_photo, {"preset": "studio-grey"})  # 2 credits; nobody in the photo
    assert ledger.balance(bob) == 3
    assert runner.run(job.pk) == Job.State.FAILED
    assert ledger.balance(bob) == 5
    assert not actions.do_fail(job.pk, "again")  # already final: no second refund
    assert ledger.balance(bob) == 5
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


def test_a_succeeded_job_keeps_its_debit(bob: User, bob_photo: Photo) -> None:
    _buy(bob, 5)
    job = do_create_job(bob, "enhance", bob_photo)
    assert runner.run(job.pk) == Job.State.SUCCEEDED
    assert ledger.balance(bob) == 4
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).exists()


def test_fifty_jobs_at_once_on_a_balance_for_ten_create_ten(bob: User, bob_photo: Photo, huey_queue: Any) -> None:
    _buy(bob, 10)

    def create(_index: int) -> str:
        try:
            do_create_job(bob, "enhance", bob_photo)
        except JobRefused as refused:
            return "refused" if "balance is" in str(refused) else f"other: {refused}"
        return "created"

    outcomes = _in_threads(50, create)
    assert outcomes.count("created") == 10, outcomes
    assert outcomes.count("refused") == 40, outcomes
    assert Job.objects.count() == 10
    assert ledger.balance(bob) == 0


def test_cancelling_a_queued_job_gives_its_credits_back_and_a_late_result_is_discarded(
    bob: User, bob_photo: Photo
) -> None:
    from tests.conftest import stored_objects

    _buy(bob, 5)
    job = do_create_job(bob, "enhance", bob_photo)
    assert actions.claim(job.pk)  # a worker has started it...
    assert actions.do_cancel(job)  # ...when the person cancels
    assert ledger.balance(bob) == 5
    before = stored_objects()
    assert runner.run(job.pk) == "skipped"  # a duplicate message finds it final
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert not actions.do_cancel(job)  # once
    assert ledger.balance(bob) == 5
    assert stored_objects() == before


def test_a_job_past_its_deadline_is_failed_and_refunded_by_the_sweep(bob: User, bob_photo: Photo) -> None:
    import datetime

    import time_machine
    from django.utils import timezone

    _buy(bob, 5)
    job = do_create_job(bob, "enhance", bob_photo)
    assert actions.claim(job.pk)
    with time_machine.travel(timezone.now() + actions.DEADLINES["enhance"] + datetime.timedelta(minutes=1)):
        assert actions.sweep_jobs()["failed"] == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "took far longer" in job.error
    assert ledger.balance(bob) == 5


def test_trying_again_makes_a_new_job_and_charges_it(bob: User, bob_photo: Photo) -> None:
    _buy(bob, 5)
    job = do_create_job(bob, "generate", bob_photo, {"preset": "studio-grey"})
    assert runner.run(job.pk) == Job.State.FAILED  # nobody in the photo
    job.refresh_from_db()
    again = actions.do_retry(job)
    assert (again.kind, again.params, again.input_id) == (job.kind, job.params, job.input_id)
    assert again.pk != job.pk
    assert ledger.balance(bob) == 3
    with pytest.raises(JobRefused, match="Only a job that failed"):
        actions.do_retry(again)


def test_the_end_of_a_job_is_announced_once_after_the_commit(bob: User, bob_photo: Photo) -> None:
    ended: list[tuple[str, str]] = []

    def listen(sender: object, job: Job, **_: object) -> None:
        ended.append((str(job.public_id), job.state))

    actions.job_finished.connect(listen)
    try:
        _buy(bob, 5)
        job = do_create_job(bob, "enhance", bob_photo)
        runner.run(job.pk)
        runner.run(job.pk)
    finally:
        actions.job_finished.disconnect(listen)
    assert ended == [(str(job.public_id), Job.State.SUCCEEDED)]


def test_mallory_cannot_cancel_or_retry_bobs_job(bob: User, mallory: User, bob_photo: Photo) -> None:
    from django.test import Client

    _buy(bob, 5)
    job = do_create_job(bob, "enhance", bob_photo)
    client = Client()
    client.force_login(mallory)
    assert client.post(f"/jobs/{job.public_id}/cancel").status_code == 404
    assert client.post(f"/jobs/{job.public_id}/retry").status_code == 404
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
