"""Transaction records at the end of their legal period (billing.records, called by the retention sweep)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.billing import fulfilment, ledger, records
from darkroom.billing.models import AccountFlag, AppendOnly, LedgerEntry, Order, Subscription, Wallet

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)


def past_it() -> datetime.datetime:
    """A cutoff that T0's records are long past."""
    return records.records_cutoff(T0 + datetime.timedelta(days=8 * 365))


@pytest.fixture(autouse=True)
def _seven_years(settings: Any) -> None:
    settings.PROFILE = profile.load("photo-coach")  # §6 "Transaction records may be retained for up to 7 years"


def _entry(wallet: Wallet, amount: int, key: str, kind: str = LedgerEntry.Kind.PURCHASE) -> LedgerEntry:
    return LedgerEntry.objects.create(wallet=wallet, amount=amount, kind=kind, idempotency_key=key, description=key)


def test_the_period_starts_on_the_same_day_years_back() -> None:
    assert records.records_cutoff(T0) == datetime.datetime(2019, 3, 2, tzinfo=datetime.UTC)
    leap = datetime.datetime(2032, 2, 29, 8, 0, tzinfo=datetime.UTC)
    assert records.records_cutoff(leap) == datetime.datetime(2025, 2, 28, tzinfo=datetime.UTC)


def test_a_live_wallets_old_entries_become_their_sum_and_a_later_run_folds_in_more(alice: User) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        ledger.credit(alice, 50, key="order:a", reference="order:a", description="Pack")
        ledger.debit(alice, 20, key="job:1:debit", reference="job:1", description="Enhance")
        clock.shift(datetime.timedelta(days=40))
        ledger.debit(alice, 10, key="job:2:debit", reference="job:2", description="Enhance")
        wallet = ledger.wallet_for(alice)

        first = records.records_cutoff(T0 + datetime.timedelta(days=7 * 366))
        assert records.old_entries(first).count() == 2
        assert list(records.wallets_with_old_entries(first)) == [wallet.pk]
        assert records.compact_wallet(wallet.pk, first) == 2
        assert records.compact_wallet(wallet.pk, first) == 0  # only its carried sum is old now
        carried = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CARRIED)
        assert carried.amount == 30
        assert carried.description == "Balance carried forward from before 7 March 2026"
        assert records.old_entries(first).count() == 0

        later = records.records_cutoff(T0 + datetime.timedelta(days=7 * 366 + 60))
        assert records.compact_wallet(wallet.pk, later) == 1
        (folded,) = LedgerEntry.objects.all()
        assert (folded.kind, folded.amount) == (LedgerEntry.Kind.CARRIED, 20)
        assert folded.idempotency_key == f"carry:{wallet.pk}:{folded.pk}"
        assert ledger.balance(alice) == 20
        with pytest.raises(AppendOnly):
            LedgerEntry.objects.all().delete()  # elsewhere the ledger still only grows


def test_a_prefix_that_sums_to_nothing_leaves_no_entry(alice: User) -> None:
    with time_machine.travel(T0, tick=False):
        ledger.credit(alice, 5, key="order:b", reference="order:b", description="Pack")
        ledger.debit(alice, 5, key="job:3:debit", reference="job:3", description="Enhance")
    wallet = ledger.wallet_for(alice)
    assert records.compact_wallet(wallet.pk, past_it()) == 2
    assert not LedgerEntry.objects.exists()
    assert ledger.balance(alice) == 0


def test_a_negative_prefix_is_left_for_a_person_to_look_at(alice: User, caplog: pytest.LogCaptureFixture) -> None:
    wallet = ledger.wallet_for(alice)
    with time_machine.travel(T0, tick=False):
        _entry(wallet, -5, "written-around-the-ledger", LedgerEntry.Kind.DEBIT)
    assert records.compact_wallet(wallet.pk, past_it()) == 0
    assert LedgerEntry.objects.count() == 1
    assert "negative balance before the cutoff" in caplog.text


def test_nothing_to_do_for_a_missing_wallet_or_one_without_old_entries(alice: User) -> None:
    ledger.credit(alice, 5, key="order:c", reference="order:c", description="Pack")  # made today
    cutoff = records.records_cutoff(timezone.now())
    assert records.compact_wallet(ledger.wallet_for(alice).pk, cutoff) == 0
    assert records.compact_wallet(999_999, cutoff) == 0
    assert LedgerEntry.objects.count() == 1


def test_an_erased_wallet_loses_its_old_entries_outright_then_itself(bob: User) -> None:
    with time_machine.travel(T0, tick=False):
        ledger.credit(bob, 8, key="order:d", reference="order:d", description="Pack")
        wallet = ledger.wallet_for(bob)
    bob.delete()
    assert records.empty_erased_wallets().count() == 0
    assert records.compact_wallet(wallet.pk, past_it()) == 1
    assert not LedgerEntry.objects.exists()
    assert list(records.empty_erased_wallets()) == [wallet]


def test_old_orders_ended_subscriptions_and_settled_flags_are_found(alice: User) -> None:
    wallet = ledger.wallet_for(alice)
    with time_machine.travel(T0, tick=False):
        order = Order.objects.create(
            user=alice, wallet=wallet, kind="pack", product="small", description="Small", amount=499,
            currency="usd", credits=20, gateway="test",
        )  # fmt: skip
        ended = Subscription.objects.create(
            wallet=wallet, gateway="test", gateway_subscription_id="sub_1", status="canceled"
        )
        Subscription.objects.create(wallet=wallet, gateway="test", gateway_subscription_id="sub_2", status="active")
        settled = fulfilment.raise_flag(wallet, order, "Refund of spent credits")
        AccountFlag.objects.filter(pk=settled.pk).update(resolved_at=T0, resolved_by="operator@example.com")
        fulfilment.raise_flag(wallet, order, "Still open")
    assert order.retain_until == datetime.date(2033, 3, 2)
    assert list(records.expired_orders(datetime.date(2033, 3, 2))) == []
    assert list(records.expired_orders(datetime.date(2033, 3, 3))) == [order]
    cutoff = records.records_cutoff(datetime.datetime(2033, 3, 3, tzinfo=datetime.UTC))
    assert list(records.ended_subscriptions(cutoff)) == [ended]
    assert list(records.settled_flags(cutoff)) == [settled]
