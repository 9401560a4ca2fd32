"""Ending a subscription now, not at the period's end, for account deletion (privacy.erasure).

Against the fake Stripe API (``DELETE /v1/subscriptions/{id}``) and the test gateway.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.actions import do_end_subscriptions_now
from darkroom.billing.gateways import GatewayError
from darkroom.billing.models import Subscription
from tests.billing.conftest import subscription_obj
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db


def _subscription(user: User, gateway: str, subscription_id: str, status: str = "active") -> Subscription:
    return Subscription.objects.create(
        wallet=ledger.wallet_for(user),
        gateway=gateway,
        gateway_subscription_id=subscription_id,
        gateway_customer_id="cus_alice" if gateway == "stripe" else "",
        status=status,
        current_period_end=timezone.now() + datetime.timedelta(days=20),
    )


def _at_stripe(fake: FakeStripe, user: User, subscription_id: str, status: str = "active") -> None:
    wallet = str(ledger.wallet_for(user).public_id)
    fake.subscriptions[subscription_id] = subscription_obj(
        subscription_id, customer="cus_alice", wallet=wallet, status=status
    )


def test_it_cancels_a_stripe_subscription_at_once(stripe_mode: FakeStripe, alice: User) -> None:
    subscription = _subscription(alice, "stripe", "sub_alice")
    _at_stripe(stripe_mode, alice, "sub_alice")
    assert do_end_subscriptions_now(alice) == 1
    assert ("DELETE", "/v1/subscriptions/sub_alice", {}) in stripe_mode.requests
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELED
    assert stripe_mode.subscriptions["sub_alice"]["status"] == "canceled"


def test_a_subscription_stripe_had_already_canceled_is_recorded_as_such(stripe_mode: FakeStripe, alice: User) -> None:
    subscription = _subscription(alice, "stripe", "sub_alice")  # the webhook has not arrived yet
    _at_stripe(stripe_mode, alice, "sub_alice", status="canceled")
    assert do_end_subscriptions_now(alice) == 1
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELED


def test_a_refusal_for_a_live_subscription_is_raised(
    stripe_mode: FakeStripe, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subscription(alice, "stripe", "sub_alice")
    _at_stripe(stripe_mode, alice, "sub_alice")

    def refuse(subscription_id: str) -> dict[str, Any]:
        raise GatewayError("Stripe: this subscription cannot be canceled now", permanent=True)

    monkeypatch.setattr("darkroom.billing.gateways.stripe_api.cancel_subscription", refuse)
    with pytest.raises(GatewayError, match="cannot be canceled"):
        do_end_subscriptions_now(alice)


def test_stripe_being_down_is_raised_as_transient(stripe_mode: FakeStripe, alice: User) -> None:
    _subscription(alice, "stripe", "sub_alice")
    stripe_mode.fail_with = (503, "try again")
    with pytest.raises(GatewayError) as raised:
        do_end_subscriptions_now(alice)
    assert not raised.value.permanent


def test_the_test_gateway_ends_its_own_and_skips_ended_ones(alice: User) -> None:
    live = _subscription(alice, "test", "test_sub_1")
    ended = _subscription(alice, "test", "test_sub_0", status=Subscription.Status.CANCELED)
    assert do_end_subscriptions_now(alice) == 1
    live.refresh_from_db()
    assert (live.status, live.cancel_at_period_end) == (Subscription.Status.CANCELED, False)
    assert Subscription.objects.get(pk=ended.pk).status == Subscription.Status.CANCELED


def test_a_subscription_of_a_gateway_no_longer_configured_is_a_permanent_error(alice: User) -> None:
    _subscription(alice, "stripe", "sub_alice")  # Stripe's keys were removed since
    with pytest.raises(GatewayError, match="no longer configured") as raised:
        do_end_subscriptions_now(alice)
    assert raised.value.permanent
