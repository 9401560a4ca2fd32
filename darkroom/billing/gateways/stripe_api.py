"""Thin wrappers over the official Stripe SDK; with ``stripe.py``, the only code that imports it.

Every call has a timeout and the SDK's own retries (with idempotency keys it
adds itself); every answer leaves here as a plain ``dict``, and every SDK
error as a ``GatewayError`` that says whether trying again can help. Tests
point ``settings.STRIPE_API_BASE`` at a local fake of Stripe's API.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, cast

import stripe
from django.conf import settings

from darkroom.billing.gateways import GatewayError

TIMEOUT_SECONDS = 20
NETWORK_RETRIES = 2


class SignatureRefused(Exception):
    """A webhook whose signature or timestamp does not hold; the message says which."""


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY).", permanent=True)
    return _client_for(settings.STRIPE_SECRET_KEY, getattr(settings, "STRIPE_API_BASE", None))


def _permanent(error: stripe.StripeError) -> bool:
    """Network trouble, rate limits and Stripe's own 5xx pass; everything else will fail again."""
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)):
        return False
    return not (error.http_status or 0) >= 500


def _call(request: Callable[[], stripe.StripeObject]) -> dict[str, Any]:
    try:
        return request().to_dict()
    except stripe.StripeError as exc:
        raise GatewayError(f"Stripe: {exc.user_message or exc}", permanent=_permanent(exc)) from exc


def create_customer(email: str, wallet: str) -> dict[str, Any]:
    # The SDK leaves None out of the request: a phone-only account has no email.
    params: dict[str, Any] = {"email": email or None, "metadata": {"wallet": wallet}}
    return _call(lambda: client().v1.customers.create(cast(Any, params)))


def create_checkout_session(params: dict[str, Any]) -> dict[str, Any]:
    return _call(lambda: client().v1.checkout.sessions.create(cast(Any, params)))


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    return _call(lambda: client().v1.checkout.sessions.retrieve(session_id))


def create_portal_session(customer_id: str, return_url: str) -> dict[str, Any]:
    return _call(
        lambda: client().v1.billing_portal.sessions.create({"customer": customer_id, "return_url": return_url})
    )


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return _call(lambda: client().v1.subscriptions.retrieve(subscription_id))


def cancel_subscription(subscription_id: str) -> dict[str, Any]:
    return _call(lambda: client().v1.subscriptions.cancel(subscription_id))


def invoice_payments_for(payment_intent: str) -> list[dict[str, Any]]:
    """The invoice payments made with a payment intent (how a refunded charge finds its invoice)."""
    listing = _call(
        lambda: client().v1.invoice_payments.list(
            {"payment": {"type": "payment_intent", "payment_intent": payment_intent}, "limit": 10}
        )
    )
    return cast(list[dict[str, Any]], listing.get("data") or [])


def list_events(created_after: int, types: list[str]) -> Iterator[dict[str, Any]]:
    """Events since ``created_after`` (a Unix time), oldest pages last, following ``has_more``."""
    try:
        page = client().v1.events.list({"created": {"gte": created_after}, "types": types, "limit": 100})
        for event in page.auto_paging_iter():
            yield event.to_dict()
    except stripe.StripeError as exc:
        raise GatewayError(f"Stripe: {exc.user_message or exc}", permanent=_permanent(exc)) from exc


def verify_signature(payload: bytes, header: str, secret: str, tolerance: int) -> None:
    """Check the ``Stripe-Signature`` header over the raw body, and its timestamp both ways.

    stripe-python refuses a timestamp older than ``tolerance`` but accepts one
    from the future (measured with stripe 16.1); a captured request signed
    with a clock set ahead could then be replayed for as long as that lasts,
    so the future is bounded here too.
    """
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret, tolerance)
    except UnicodeDecodeError:
        raise SignatureRefused("The body is not UTF-8.") from None
    except stripe.SignatureVerificationError as exc:
        message = str(exc.user_message or exc)
        if "tolerance" in message:
            raise SignatureRefused(f"The signature's timestamp is more than {tolerance} s old.") from None
        raise SignatureRefused(f"The signature does not verify: {message}") from None
    # verify_header has already parsed t= successfully, so this cannot fail.
    timestamp = int(next(part[2:] for part in header.split(",") if part.startswith("t=")))
    if timestamp > time.time() + tolerance:
        raise SignatureRefused(f"The signature's timestamp is more than {tolerance} s in the future.")
