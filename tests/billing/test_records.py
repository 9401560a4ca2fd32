"""Orders as records: retention from the profile, pseudonymisation on erasure."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.billing import actions, fulfilment, ledger
from darkroom.billing.models import LedgerEntry, Order, Subscription, Wallet, years_later

pytestmark = pytest.mark.django_db


def _order(user: User) -> Order:
    return Order.objects.create(
        user=user,
        wallet=ledger.wallet_for(user),
        kind="pack",
        product="starter",
        description="Starter (20 credits)",
        amount=499,
        currency="usd",
        credits=20,
        gateway="stripe",
        gateway_payment_id="pi_1",
        email="alice@example.com",
    )


@pytest.mark.parametrize(("name", "years"), [("selfie-studio", 5), ("photo-coach", 7), ("demo", 7)])
def test_orders_are_kept_as_long_as_the_profile_says(alice: User, settings: Any, name: str, years: int) -> None:
    settings.PROFILE = profile.load(name)
    today = timezone.now().date()
    assert _order(alice).retain_until == years_later(today, years)


def test_a_leap_day_order_is_kept_until_the_28th() -> None:
    assert years_later(datetime.date(2028, 2, 29), 5) == datetime.date(2033, 2, 28)
    assert years_later(datetime.date(2028, 2, 29), 4) == datetime.date(2032, 2, 29)


def test_erasing_an_account_keeps_amounts_and_ids_but_not_the_person(alice: User) -> None:
    order = _order(alice)
    ledger.credit(alice, 20, key=order.ledger_key, reference=order.ledger_key, description=order.description)
    wallet = ledger.wallet_for(alice)
    alice.delete()
    order.refresh_from_db()
    wallet.refresh_from_db()
    assert (order.user, order.email) == (None, "")
    assert order.pseudonymised_at is not None
    assert (order.amount, order.currency, order.credits, order.gateway_payment_id) == (499, "usd", 20, "pi_1")
    assert wallet.user is None
    assert wallet.pseudonymised_at is not None
    assert LedgerEntry.objects.get().amount == 20
    assert str(wallet) == "wallet of an erased account"
    assert actions.do_pseudonymise(User.objects.create_user(email="bob@example.com", password="x")) == 0


def test_models_say_what_they_are(alice: User) -> None:
    order = _order(alice)
    entry = ledger.credit(alice, 20, key=order.ledger_key, reference=order.ledger_key, description=order.description)
    flag = fulfilment.raise_flag(Wallet.objects.get(), order, "Refund of spent credits")
    assert str(order) == "Starter (20 credits) (Waiting for checkout)"
    assert str(entry) == f"+20 Credit pack (order:{order.public_id})"
    assert str(flag) == "flag on wallet of alice@example.com: Refund of spent credits"
    assert not order.has_receipt
    subscription = Subscription.objects.create(
        wallet=order.wallet, gateway="stripe", gateway_subscription_id="sub_1", status="active"
    )
    assert str(subscription) == "sub_1 (active)"


def test_a_deploy_check_says_when_the_test_gateway_is_public(settings: Any) -> None:
    from django.core import checks

    messages = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "billing.I001"]
    assert len(messages) == 1
    assert messages[0].level == checks.INFO
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert not [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "billing.I001"]
