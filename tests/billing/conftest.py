"""Billing fixtures: the fake Stripe API, Stripe mode, signed webhook payloads, Stripe objects."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from darkroom.accounts.models import User
from darkroom.billing import actions, reconcile
from darkroom.billing.models import Order
from tests.billing.fake_stripe import FakeStripe

SECRET_KEY = "sk_test_darkroom"
WEBHOOK_SECRET = "whsec_darkroom_test"
SUCCESS_URL = "http://testserver/billing/success/"
CANCEL_URL = "http://testserver/billing/cancel/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """alice and friends sign up with argon2 otherwise: a fifth of a second each, for nothing billing tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(_stripe_server: FakeStripe) -> FakeStripe:
    _stripe_server.reset()
    return _stripe_server


@pytest.fixture
def stripe_mode(settings: Any, fake_stripe: FakeStripe) -> FakeStripe:
    """Stripe keys set, the SDK pointed at the fake."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.url
    return fake_stripe


# --- webhook payloads -------------------------------------------------------
def make_event(kind: str, obj: dict[str, Any], *, event_id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
        "data": {"object": obj},
    }


def signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header as Stripe documents it: HMAC-SHA256 of "<t>.<body>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(
    client: Client,
    event: dict[str, Any] | bytes,
    *,
    header: str | None = None,
    timestamp: int | None = None,
    secret: str = WEBHOOK_SECRET,
) -> HttpResponse:
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {
        "Stripe-Signature": header if header is not None else signature(payload, secret=secret, timestamp=timestamp)
    }
    return client.post("/billing/stripe/webhook/", payload, content_type="application/json", headers=headers)


def deliver(client: Client, event: dict[str, Any]) -> HttpResponse:
    """Post a signed event, then process what is pending as the queue would."""
    response = post_event(client, event)
    assert response.status_code == 200, response.content
    reconcile.process_pending()
    return response


# --- Stripe objects -----------------------------------------------------------
def start_pack_checkout(user: User, code: str = "starter") -> Order:
    actions.do_start_pack_checkout(user, code, success_url=SUCCESS_URL, cancel_url=CANCEL_URL)
    return Order.objects.filter(user=user).latest("id")


def session_for(fake: FakeStripe, order: Order, *, paid: bool = True) -> dict[str, Any]:
    """The order's checkout session, completed by the person paying."""
    return fake.complete_session(order.gateway_session_id, paid=paid)


def subscription_obj(
    subscription_id: str,
    *,
    customer: str,
    wallet: str,
    status: str = "active",
    period_end: int | None = None,
    cancel_at_period_end: bool = False,
) -> dict[str, Any]:
    """A Subscription in the current API shape (the period lives on the items)."""
    period_end = period_end or int(time.time()) + 30 * 86400
    return {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "metadata": {"wallet": wallet},
        "items": {"object": "list", "data": [{"id": "si_1", "current_period_end": period_end}]},
    }


def invoice_obj(
    invoice_id: str,
    *,
    subscription: str,
    customer: str,
    wallet: str = "",
    amount: int = 999,
    reason: str = "subscription_create",
) -> dict[str, Any]:
    """An Invoice in the current API shape (subscription under ``parent``)."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "customer_email": "alice@example.com",
        "amount_paid": amount,
        "currency": "usd",
        "billing_reason": reason,
        "status": "paid",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription, "metadata": {"wallet": wallet}},
        },
    }


def charge_obj(payment_intent: str, *, amount: int, refunded: int, customer: str = "") -> dict[str, Any]:
    return {
        "id": f"ch_{payment_intent}",
        "object": "charge",
        "payment_intent": payment_intent,
        "customer": customer or None,
        "amount": amount,
        "amount_refunded": refunded,
        "currency": "usd",
        "refunded": refunded >= amount,
    }
