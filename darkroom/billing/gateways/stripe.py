"""The Stripe gateway: Checkout Sessions, the customer portal, and Stripe's objects read into plain facts.

Stripe has moved fields between API versions (a subscription's period end now
sits on its items; an invoice's subscription under ``parent``); the readers
below accept both shapes, because webhook payloads follow the endpoint's API
version while objects fetched here follow the SDK's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from darkroom.billing.gateways import (
    CheckoutRequest,
    CheckoutResult,
    CheckoutSession,
    GatewayError,
    PaidInvoice,
    RefundedCharge,
    SubscriptionState,
    stripe_api,
)

NAME = "stripe"
WEBHOOK_TOLERANCE_SECONDS = 300

Obj = dict[str, Any]


def _id(value: Any) -> str:
    """An expandable field: an id, an expanded object, or nothing."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _time(value: Any) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC) if value else None


def checkout_result(session: Obj) -> CheckoutResult:
    """A Checkout Session object as fulfilment facts."""
    details = session.get("customer_details") or {}
    return CheckoutResult(
        gateway=NAME,
        session_id=str(session["id"]),
        reference=str(session.get("client_reference_id") or ""),
        mode=str(session.get("mode") or ""),
        payment_status=str(session.get("payment_status") or ""),
        amount=int(session.get("amount_total") or 0),
        currency=str(session.get("currency") or ""),
        payment_id=_id(session.get("payment_intent")),
        customer_id=_id(session.get("customer")),
        subscription_id=_id(session.get("subscription")),
        email=str(details.get("email") or session.get("customer_email") or ""),
    )


def subscription_state(subscription: Obj) -> SubscriptionState:
    """A Subscription object as it stands."""
    period_end = subscription.get("current_period_end")
    if period_end is None:
        # API 2025-03-31 and later: the period belongs to each item.
        items = (subscription.get("items") or {}).get("data") or []
        ends = [item["current_period_end"] for item in items if item.get("current_period_end")]
        period_end = max(ends) if ends else None
    return SubscriptionState(
        gateway=NAME,
        subscription_id=str(subscription["id"]),
        customer_id=_id(subscription.get("customer")),
        wallet=str((subscription.get("metadata") or {}).get("wallet") or ""),
        status=str(subscription["status"]),
        current_period_end=_time(period_end),
        cancel_at_period_end=bool(subscription.get("cancel_at_period_end")),
    )


def paid_invoice(invoice: Obj) -> PaidInvoice:
    """An Invoice object (``invoice.paid``) as facts."""
    details = ((invoice.get("parent") or {}).get("subscription_details")) or invoice.get("subscription_details") or {}
    subscription_id = _id(details.get("subscription")) or _id(invoice.get("subscription"))
    payment_id = _id(invoice.get("payment_intent"))
    if not payment_id:
        for payment in (invoice.get("payments") or {}).get("data") or []:
            payment_id = _id((payment.get("payment") or {}).get("payment_intent"))
            if payment_id:
                break
    return PaidInvoice(
        gateway=NAME,
        invoice_id=str(invoice["id"]),
        subscription_id=subscription_id,
        customer_id=_id(invoice.get("customer")),
        wallet=str((details.get("metadata") or {}).get("wallet") or ""),
        amount=int(invoice.get("amount_paid") or 0),
        currency=str(invoice.get("currency") or ""),
        billing_reason=str(invoice.get("billing_reason") or ""),
        payment_id=payment_id,
        email=str(invoice.get("customer_email") or ""),
    )


def refunded_charge(charge: Obj, event_id: str, invoice_id: str = "") -> RefundedCharge:
    """A refunded Charge object; the event id keys the credits taken back."""
    return RefundedCharge(
        gateway=NAME,
        key=f"stripe-event:{event_id}",
        payment_id=_id(charge.get("payment_intent")),
        invoice_id=invoice_id or _id(charge.get("invoice")),
        customer_id=_id(charge.get("customer")),
        amount=int(charge.get("amount") or 0),
        amount_refunded=int(charge.get("amount_refunded") or 0),
        currency=str(charge.get("currency") or ""),
    )


class StripeGateway:
    """Stripe Checkout (mode ``payment`` for packs, ``subscription`` for Pro) and the customer portal."""

    name = NAME

    def ensure_customer(self, wallet: str, customer_id: str, email: str) -> str:
        if customer_id:
            return customer_id
        return str(stripe_api.create_customer(email, wallet)["id"])

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        price: Obj = {
            "currency": request.currency,
            "unit_amount": request.amount,
            "product_data": {"name": request.item},
        }
        metadata = {"wallet": request.wallet, "reference": request.reference}
        params: Obj = {
            "mode": request.mode,
            "line_items": [{"price_data": price, "quantity": 1}],
            "customer": request.customer_id,
            "client_reference_id": request.reference,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
        }
        if request.mode == "subscription":
            price["recurring"] = {"interval": "month"}
            # Copied onto the subscription and each invoice: events find the wallet by it.
            params["subscription_data"] = {"metadata": metadata}
        else:
            params["payment_intent_data"] = {"metadata": metadata}
        session = stripe_api.create_checkout_session(params)
        return CheckoutSession(session_id=str(session["id"]), url=str(session["url"]))

    def checkout_result(self, session_id: str) -> CheckoutResult | None:
        return checkout_result(stripe_api.retrieve_checkout_session(session_id))

    def portal_url(self, customer_id: str, return_url: str) -> str:
        if not customer_id:
            raise GatewayError("This subscription has no Stripe customer.", permanent=True)
        return str(stripe_api.create_portal_session(customer_id, return_url)["url"])

    def cancel_subscription(self, subscription_id: str) -> SubscriptionState:
        # DELETE /v1/subscriptions/{id} ends it at once (no proration, no final invoice: Stripe's defaults).
        try:
            return subscription_state(stripe_api.cancel_subscription(subscription_id))
        except GatewayError as exc:
            if not exc.permanent:
                raise
            # Already canceled (Stripe refuses to cancel twice): say how it stands instead.
            state = self.fetch_subscription(subscription_id)
            if state.status != "canceled":
                raise
            return state

    # --- what webhooks and reconciliation need ----------------------------
    def fetch_subscription(self, subscription_id: str) -> SubscriptionState:
        """The subscription as Stripe says it is now: events may arrive in any order."""
        return subscription_state(stripe_api.retrieve_subscription(subscription_id))

    def refund_facts(self, charge: Obj, event_id: str) -> RefundedCharge:
        """A refunded charge, with the invoice it paid looked up when the payload no longer says."""
        invoice_id = _id(charge.get("invoice"))
        payment_intent = _id(charge.get("payment_intent"))
        if not invoice_id and payment_intent:
            for payment in stripe_api.invoice_payments_for(payment_intent):
                invoice_id = _id(payment.get("invoice"))
                if invoice_id:
                    break
        return refunded_charge(charge, event_id, invoice_id)

    def verify_event(self, payload: bytes, header: str, secret: str) -> None:
        stripe_api.verify_signature(payload, header, secret, WEBHOOK_TOLERANCE_SECONDS)

    def events_since(self, created_after: int, types: list[str]) -> Iterator[Obj]:
        return stripe_api.list_events(created_after, types)
