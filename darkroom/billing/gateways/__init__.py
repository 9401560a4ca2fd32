"""Payment gateways: one small interface, one module per vendor.

``current()`` picks the gateway from configuration alone: Stripe when
``STRIPE_SECRET_KEY`` is set, else Darkroom's own test gateway. Both hand the
same plain facts (the dataclasses below) to the same fulfilment actions, so
the test gateway exercises the code that takes real money.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal, Protocol

from django.conf import settings

Mode = Literal["payment", "subscription"]


class GatewayError(Exception):
    """The gateway failed; ``permanent`` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class CheckoutRequest:
    """What to sell in one checkout. ``reference`` comes back as the session's reference."""

    mode: Mode
    reference: str
    wallet: str
    customer_id: str
    email: str
    item: str
    amount: int
    currency: str
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str


@dataclass(frozen=True)
class CheckoutResult:
    """A checkout as the gateway reports it (completed, expired, failed…)."""

    gateway: str
    session_id: str
    reference: str
    mode: str
    payment_status: str  # "paid", "unpaid" or "no_payment_required"
    amount: int
    currency: str
    payment_id: str = ""
    customer_id: str = ""
    subscription_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as the gateway says it is now."""

    gateway: str
    subscription_id: str
    customer_id: str
    wallet: str
    status: str
    current_period_end: datetime.datetime | None
    cancel_at_period_end: bool


@dataclass(frozen=True)
class PaidInvoice:
    """One paid invoice of a subscription; ``billing_reason`` says whether it starts a period."""

    gateway: str
    invoice_id: str
    subscription_id: str
    customer_id: str
    wallet: str
    amount: int
    currency: str
    billing_reason: str
    payment_id: str
    email: str


@dataclass(frozen=True)
class RefundedCharge:
    """A payment refunded in part or whole; ``amount_refunded`` is the total so far."""

    gateway: str
    key: str
    payment_id: str
    invoice_id: str
    customer_id: str
    amount: int
    amount_refunded: int
    currency: str


class Gateway(Protocol):
    name: str

    def ensure_customer(self, wallet: str, customer_id: str, email: str) -> str:
        """The gateway's customer for this wallet, created when ``customer_id`` is empty."""

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        """Open a hosted checkout; the person is sent to ``CheckoutSession.url``."""

    def checkout_result(self, session_id: str) -> CheckoutResult | None:
        """Ask the gateway how a checkout stands now (None: it cannot tell)."""

    def portal_url(self, customer_id: str, return_url: str) -> str:
        """Where the person manages or cancels their subscription."""

    def cancel_subscription(self, subscription_id: str) -> SubscriptionState:
        """End the subscription now, not at the period's end (account deletion); how it stands afterwards."""


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def current() -> Gateway:
    """Stripe when its keys are set, else the test gateway."""
    if stripe_configured():
        from darkroom.billing.gateways.stripe import StripeGateway

        return StripeGateway()
    from darkroom.billing.gateways.test import TestGateway

    return TestGateway()
