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
