"""The ledger's service functions: sums, keys, the floor at zero, append-only."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.ledger import InsufficientCredits, KeyConflict, LedgerError, NothingToRefund
from darkroom.billing.models import AppendOnly, LedgerEntry, Wallet

pytestmark = pytest.mark.django_db


def _buy(user: User, credits: int = 10, key: str = "order:1") -> LedgerEntry:
    return ledger.credit(user, credits, key=key, reference=key, description="Starter (10 credits)")


def test_it_sums_entries_into_a_balance(alice: User) -> None:
    assert ledger.balance(alice) == 0
    _buy(alice, 10)
    ledger.debit(alice, 3, key="job:1:debit", reference="job:1", description="Enhance")
    ledger.refund(alice, debit_key="job:1:debit", description="Enhance failed")
    ledger.debit(alice, 2, key="job:2:debit", reference="job:2", description="Enhance")
    assert ledger.balance(alice) == 8
    assert list(LedgerEntry.objects.filter(wallet__user=alice).values_list("amount", flat=True)) == [-2, 3, -3, 10]


def test_it_posts_each_key_once(alice: User) -> None:
    first = _buy(alice)
    assert _buy(alice) == first
    debit = ledger.debit(alice, 4, key="job:1:debit", reference="job:1", description="Enhance")
    assert ledger.debit(alice, 4, key="job:1:debit", reference="job:1", description="Enhance") == debit
    refund = ledger.refund(alice, debit_key="job:1:debit", description="failed")
    assert ledger.refund(alice, debit_key="job:1:debit", description="failed") == refund
    assert refund.idempotency_key == "job:1:refund"
    assert ledger.balance(alice) == 10
    assert LedgerEntry.objects.count() == 3


def test_it_refuses_to_go_below_zero(alice: User, bob: User) -> None:
    _buy(alice, 2)
    with pytest.raises(InsufficientCredits, match="needs 3 and the balance is 2") as refusal:
        ledger.debit(alice, 3, key="job:1:debit", reference="job:1", description="Animate")
    assert (refusal.value.balance, refusal.value.needed) == (2, 3)
    assert ledger.balance(alice) == 2
    with pytest.raises(InsufficientCredits):
        ledger.debit(bob, 1, key="job:2:debit", reference="job:2", description="Enhance")


def test_it_refuses_a_key_reused_for_something_else(alice: User, bob: User) -> None:
    _buy(alice, 10, key="order:1")
    with pytest.raises(KeyConflict):
        ledger.credit(alice, 11, key="order:1", reference="order:1", description="other")
    with pytest.raises(KeyConflict):
        ledger.credit(bob, 10, key="order:1", reference="order:1", description="bob's")
    assert ledger.balance(bob) == 0


def test_a_key_racing_onto_another_wallet_is_a_conflict(
    alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique index is the last line: the check under bob's lock cannot see alice's concurrent insert."""
    _buy(alice, 10, key="order:1")
    real_filter = LedgerEntry.objects.filter

    def not_yet_committed(**kwargs: object) -> object:
        return LedgerEntry.objects.none() if "idempotency_key" in kwargs else real_filter(**kwargs)

    monkeypatch.setattr(LedgerEntry.objects, "filter", not_yet_committed)
    with pytest.raises(KeyConflict):
        ledger.credit(bob, 10, key="order:1", reference="order:1", description="bob's")
    monkeypatch.undo()
    assert ledger.balance(bob) == 0


def test_it_refuses_amounts_that_move_nothing_or_the_wrong_way(alice: User) -> None:
    for call in (
        lambda: ledger.credit(alice, 0, key="a", reference="", description="x"),
        lambda: ledger.debit(alice, -1, key="b", reference="", description="x"),
        lambda: ledger.credit(alice, 1, key="c", reference="", description="x", kind=LedgerEntry.Kind.REFUND),
        lambda: ledger.post(
            ledger.wallet_for(alice), 0, kind=LedgerEntry.Kind.ADJUSTMENT, key="d", reference="", description="x"
        ),
        lambda: ledger.post(
            ledger.wallet_for(alice), 5, kind=LedgerEntry.Kind.DEBIT, key="e", reference="", description="x"
        ),
        lambda: ledger.post(
            ledger.wallet_for(alice), -5, kind=LedgerEntry.Kind.PURCHASE, key="f", reference="", description="x"
        ),
    ):
        with pytest.raises(LedgerError):
            call()
    assert not LedgerEntry.objects.exists()


def test_the_database_itself_refuses_a_wrong_sign(alice: User) -> None:
    wallet = ledger.wallet_for(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(wallet=wallet, amount=-5, kind="purchase", idempotency_key="x", description="x")


def test_a_refund_needs_the_persons_own_debit(alice: User, mallory: User) -> None:
    _buy(alice)
    ledger.debit(alice, 2, key="job:1:debit", reference="job:1", description="Enhance")
    with pytest.raises(NothingToRefund):
        ledger.refund(mallory, debit_key="job:1:debit", description="steal")
    with pytest.raises(NothingToRefund):
        ledger.refund(alice, debit_key="order:1", description="not a debit")
    assert ledger.balance(mallory) == 0


def test_entries_are_never_changed_or_deleted(alice: User) -> None:
    entry = _buy(alice)
    entry.amount = 1000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1000)
    with pytest.raises(AppendOnly):
        LedgerEntry.objects.all().delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(user=alice).delete()  # PROTECT: a wallet with entries stays
    assert ledger.balance(alice) == 10


def test_a_debit_inside_the_callers_transaction_rolls_back_with_it(alice: User) -> None:
    _buy(alice, 5)

    def create_job_then_fail() -> None:
        with transaction.atomic():
            ledger.debit(alice, 5, key="job:1:debit", reference="job:1", description="Enhance")
            raise RuntimeError("creating the job failed")

    with pytest.raises(RuntimeError):
        create_job_then_fail()
    assert ledger.balance(alice) == 5
    assert not LedgerEntry.objects.filter(idempotency_key="job:1:debit").exists()


def test_a_refused_debit_leaves_the_callers_transaction_usable(alice: User) -> None:
    _buy(alice, 1)
    with transaction.atomic():
        with pytest.raises(InsufficientCredits):
            ledger.debit(alice, 2, key="job:1:debit", reference="job:1", description="Animate")
        ledger.debit(alice, 1, key="job:2:debit", reference="job:2", description="Enhance")
    assert ledger.balance(alice) == 0


@pytest.mark.django_db(transaction=True)
def test_locks_are_only_taken_inside_a_transaction(alice: User) -> None:
    wallet = ledger.wallet_for(alice)
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        ledger.lock_wallets(wallet.pk)


def test_the_statement_lists_every_entry_with_a_running_balance(alice: User) -> None:
    assert ledger.statement(alice) == []
    _buy(alice, 10)
    ledger.debit(alice, 3, key="job:1:debit", reference="job:1", description="Enhance")
    lines = ledger.statement(alice)
    assert [(line.description, line.amount, line.balance_after) for line in lines] == [
        ("Enhance", -3, 7),
        ("Starter (10 credits)", 10, 10),
    ]
    assert lines[0].kind_label == "Job"
    assert lines[1].reference == "order:1"
