"""A payment's changes are announced once, after their commit (the notifications app listens)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import actions, ledger, plans
from darkroom.billing.fulfilment import (
    do_fulfil_checkout,
    do_record_invoice,
    do_sync_subscription,
    order_paid,
    subscription_changed,
)
from darkroom.billing.gateways import CheckoutResult, PaidInvoice, SubscriptionState
from darkroom.billing.models import Order

pytestmark = pytest.mark.django_db

Heard = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def heard() -> Iterator[Heard]:
    events: Heard = []

    def on_paid(sender: object, order: Order, renewal: bool, **kwargs: object) -> None:
        events.append(("paid", {"order": order.pk, "renewal": renewal}))

    def on_changed(sender: object, subscription: Any, previous_status: str, was_cancelling: bool, **_: Any) -> None:
        events.append(
            ("changed", {"status": subscription.status, "was": previous_status, "cancelling": was_cancelling})
        )

    order_paid.connect(on_paid)
    subscription_changed.connect(on_changed)
    yield events
    order_paid.disconnect(on_paid)
    subscription_changed.disconnect(on_changed)


def _result(order: Order) -> CheckoutResult:
    return CheckoutResult(
        gateway="test",
        session_id=order.gateway_session_id,
        reference=str(order.public_id),
        mode="payment",
        payment_status="paid",
        amount=order.amount,
        currency=order.currency,
        payment_id="test_pay_1",
    )


def test_a_paid_order_is_announced_once_after_the_commit(
    alice: User, heard: Heard, django_capture_on_commit_callbacks: Any
) -> None:
    actions.do_start_pack_checkout(alice, plans.packs()[0].code, success_url="/s", cancel_url="/c")
    order = Order.objects.get(user=alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        do_fulfil_checkout(_result(order))
    assert heard == []  # not before the commit
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        do_fulfil_checkout(_result(order))  # a replay
    assert heard == [("paid", {"order": order.pk, "renewal": False})]


def _invoice(wallet: str, number: str, reason: str) -> PaidInvoice:
    return PaidInvoice(
        gateway="test",
        invoice_id=f"in_{number}",
        subscription_id="sub_1",
        customer_id="",
        wallet=wallet,
        amount=999,
        currency="usd",
        billing_reason=reason,
        payment_id="",
        email="alice@example.com",
    )


def test_pro_invoices_are_announced_once_each_renewals_as_such(
    settings: Any, alice: User, heard: Heard, django_capture_on_commit_callbacks: Any
) -> None:
    from darkroom import profile

    settings.PROFILE = profile.load("photo-coach")
    wallet = str(ledger.wallet_for(alice).public_id)
    with django_capture_on_commit_callbacks(execute=True):
        first = do_record_invoice(_invoice(wallet, "1", "subscription_create"))
        do_record_invoice(_invoice(wallet, "1", "subscription_create"))
        second = do_record_invoice(_invoice(wallet, "2", "subscription_cycle"))
    assert heard == [("paid", {"order": first.pk, "renewal": False}), ("paid", {"order": second.pk, "renewal": True})]


def test_a_subscription_change_is_announced_with_what_it_was(
    alice: User, heard: Heard, django_capture_on_commit_callbacks: Any
) -> None:
    end = timezone.now() + datetime.timedelta(days=30)
    state = SubscriptionState(
        gateway="test",
        subscription_id="sub_1",
        customer_id="",
        wallet=str(ledger.wallet_for(alice).public_id),
        status="active",
        current_period_end=end,
        cancel_at_period_end=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_sync_subscription(state)
        do_sync_subscription(state)  # unchanged: nothing to say
        do_sync_subscription(SubscriptionState(**{**state.__dict__, "status": "past_due"}))
    assert heard == [
        ("changed", {"status": "active", "was": "", "cancelling": False}),
        ("changed", {"status": "past_due", "was": "active", "cancelling": False}),
    ]
