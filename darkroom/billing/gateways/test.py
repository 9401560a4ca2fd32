"""The test gateway: a checkout page inside Darkroom, no card network, no money.

Used when no Stripe key is configured (``make run``, the demo). Its checkout
is a signed link to a page clearly marked as test mode; paying there hands the
same facts a Stripe webhook would to the same fulfilment actions. With Stripe
configured its pages refuse to work.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import secrets
from typing import Any

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import actions, fulfilment, ledger, plans
from darkroom.billing.gateways import (
    CheckoutRequest,
    CheckoutResult,
    CheckoutSession,
    PaidInvoice,
    SubscriptionState,
)
from darkroom.billing.models import Subscription

NAME = "test"
SALT = "darkroom.billing.test-checkout"
CHECKOUT_MAX_AGE = 24 * 3600  # Stripe's Checkout Sessions also expire after 24 hours.


class InvalidCheckout(Exception):
    """A test checkout link that was tampered with, has expired, or is not this person's."""


def add_month(moment: datetime.datetime) -> datetime.datetime:
    """One calendar month later, the day clamped to the month's length (31 Jan → 28/29 Feb)."""
    year, month = (moment.year, moment.month + 1) if moment.month < 12 else (moment.year + 1, 1)
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


class TestGateway:
    """Checkout and portal pages served by Darkroom itself."""

    __test__ = False  # not a pytest test class, despite its name
    name = NAME

    def ensure_customer(self, wallet: str, customer_id: str, email: str) -> str:
        return customer_id  # no customers: the wallet is the customer

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = f"test_cs_{secrets.token_hex(12)}"
        token = signing.dumps({"session": session_id, **dataclasses.asdict(request)}, salt=SALT, compress=True)
        return CheckoutSession(session_id=session_id, url=reverse("billing:test_checkout", args=[token]))

    def checkout_result(self, session_id: str) -> CheckoutResult | None:
        return None  # a test checkout is fulfilled the moment it is paid

    def portal_url(self, customer_id: str, return_url: str) -> str:
        return reverse("billing:test_portal")

    def cancel_subscription(self, subscription_id: str) -> SubscriptionState:
        # The test gateway's own record is the subscription row: ended as the portal's "cancel now" ends it.
        subscription = Subscription.objects.select_related("wallet").get(
            gateway=NAME, gateway_subscription_id=subscription_id
        )
        return _state(subscription, status=Subscription.Status.CANCELED, cancel_at_period_end=False)


def read_checkout(token: str, user: User) -> tuple[str, CheckoutRequest]:
    """The session id and request signed into a test checkout link, if it is the person's and fresh."""
    try:
        data: dict[str, Any] = signing.loads(token, salt=SALT, max_age=CHECKOUT_MAX_AGE)
    except signing.BadSignature:
        raise InvalidCheckout("This test checkout link is invalid or has expired.") from None
    session_id = str(data.pop("session"))
    request = CheckoutRequest(**data)
    if request.wallet != str(ledger.wallet_for(user).public_id):
        raise InvalidCheckout("This test checkout belongs to someone else.")
    return session_id, request


def pay(user: User, session_id: str, request: CheckoutRequest) -> None:
    """Complete a test checkout as paid, through the fulfilment actions the Stripe webhook uses."""
    if request.mode == "payment":
        fulfilment.do_fulfil_checkout(
            CheckoutResult(
                gateway=NAME,
                session_id=session_id,
                reference=request.reference,
                mode="payment",
                payment_status="paid",
                amount=request.amount,
                currency=request.currency,
                payment_id=f"test_pay_{session_id}",
                email=request.email,
            )
        )
        return
    subscription_id = f"test_sub_{session_id.removeprefix('test_cs_')}"
    if Subscription.objects.filter(gateway=NAME, gateway_subscription_id=subscription_id).exists():
        return  # this checkout was already paid (a second click, or the back button)
    if plans.active_subscription(user) is not None:
        raise actions.CheckoutRefused("You already have Pro. Manage it from the billing page.", status=409)
    state = SubscriptionState(
        gateway=NAME,
        subscription_id=subscription_id,
        customer_id="",
        wallet=request.wallet,
        status=Subscription.Status.ACTIVE,
        current_period_end=add_month(timezone.now()),
        cancel_at_period_end=False,
    )
    fulfilment.do_sync_subscription(state)
    _invoice(state, request.amount, request.currency, request.email, "subscription_create", "first")


def _invoice(state: SubscriptionState, amount: int, currency: str, email: str, reason: str, suffix: str) -> None:
    fulfilment.do_record_invoice(
        PaidInvoice(
            gateway=NAME,
            invoice_id=f"test_in_{state.subscription_id}_{suffix}",
            subscription_id=state.subscription_id,
            customer_id="",
            wallet=state.wallet,
            amount=amount,
            currency=currency,
            billing_reason=reason,
            payment_id="",
            email=email,
        )
    )


def _state(subscription: Subscription, **changes: Any) -> SubscriptionState:
    state = SubscriptionState(
        gateway=NAME,
        subscription_id=subscription.gateway_subscription_id,
        customer_id="",
        wallet=str(subscription.wallet.public_id),
        status=subscription.status,
        current_period_end=subscription.current_period_end,
        cancel_at_period_end=subscription.cancel_at_period_end,
    )
    return dataclasses.replace(state, **changes)


def manage(subscription: Subscription, action: str) -> Subscription:
    """What the test portal's buttons do: ``cancel`` (at period end), ``resume``, ``cancel_now``."""
    if action == "cancel_now":
        return fulfilment.do_sync_subscription(_state(subscription, status=Subscription.Status.CANCELED))
    if action in ("cancel", "resume"):
        return fulfilment.do_sync_subscription(_state(subscription, cancel_at_period_end=action == "cancel"))
    raise ValueError(f"unknown portal action {action!r}")


def renew_due_subscriptions() -> int:
    """Bill test subscriptions whose period ended, as Stripe would each month; return how many renewed.

    A subscription set to cancel at the period's end is canceled instead.
    The invoice id is derived from the period, so a second run grants nothing.
    """
    plan = plans.pro_plan()
    renewed = 0
    due = Subscription.objects.filter(
        gateway=NAME, status__in=Subscription.GIVES_PRO, current_period_end__lte=timezone.now()
    ).select_related("wallet__user")
    for subscription in due:
        assert subscription.current_period_end is not None  # the filter above
        if subscription.cancel_at_period_end or plan is None:
            manage(subscription, "cancel_now")
            continue
        ended = subscription.current_period_end
        state = _state(subscription, current_period_end=add_month(ended))
        user = subscription.wallet.user
        email = (user.email or "") if user else ""
        _invoice(state, plan.price, plan.currency, email, "subscription_cycle", f"{ended:%Y%m%d}")
        fulfilment.do_sync_subscription(state)
        renewed += 1
    return renewed
