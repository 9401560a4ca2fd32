"""Reading Stripe's objects in both API shapes, and the SDK wrapper's error mapping."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import stripe

from darkroom.billing.gateways import GatewayError, stripe_api
from darkroom.billing.gateways import stripe as stripe_gateway
from tests.billing.fake_stripe import FakeStripe


def test_it_reads_a_subscription_of_an_older_api_version() -> None:
    state = stripe_gateway.subscription_state(
        {
            "id": "sub_1",
            "customer": {"id": "cus_1", "object": "customer"},
            "status": "past_due",
            "current_period_end": 1_800_000_000,
            "metadata": {},
        }
    )
    assert (state.customer_id, state.wallet, state.status) == ("cus_1", "", "past_due")
    assert state.current_period_end == datetime.datetime(2027, 1, 15, 8, 0, tzinfo=datetime.UTC)
    bare = stripe_gateway.subscription_state({"id": "sub_2", "status": "incomplete", "items": {"data": [{}]}})
    assert (bare.current_period_end, bare.cancel_at_period_end, bare.customer_id) == (None, False, "")


def test_it_reads_an_invoice_of_an_older_api_version() -> None:
    invoice = stripe_gateway.paid_invoice(
        {
            "id": "in_1",
            "subscription": "sub_1",
            "payment_intent": "pi_1",
            "customer": "cus_1",
            "amount_paid": 999,
            "currency": "usd",
            "billing_reason": "subscription_cycle",
            "subscription_details": {"metadata": {"wallet": "w"}},
        }
    )
    assert (invoice.subscription_id, invoice.payment_id, invoice.wallet) == ("sub_1", "pi_1", "w")


def test_it_finds_an_invoices_payment_intent_in_its_payments() -> None:
    invoice = stripe_gateway.paid_invoice(
        {
            "id": "in_1",
            "parent": {"subscription_details": {"subscription": "sub_1"}},
            "payments": {
                "data": [
                    {"payment": {"type": "out_of_band_payment"}},
                    {"payment": {"type": "payment_intent", "payment_intent": "pi_9"}},
                ]
            },
        }
    )
    assert (invoice.subscription_id, invoice.payment_id, invoice.amount) == ("sub_1", "pi_9", 0)


def test_it_reads_a_checkout_session() -> None:
    result = stripe_gateway.checkout_result(
        {"id": "cs_1", "customer_email": "a@example.com", "payment_intent": {"id": "pi_1"}, "mode": "payment"}
    )
    assert (result.email, result.payment_id, result.payment_status, result.amount) == ("a@example.com", "pi_1", "", 0)


def test_a_charge_that_names_its_invoice_needs_no_lookup(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = None  # any API call would fail
    facts = stripe_gateway.StripeGateway().refund_facts(
        {"id": "ch_1", "invoice": "in_1", "payment_intent": "pi_1", "amount": 999, "amount_refunded": 999}, "evt_1"
    )
    assert (facts.invoice_id, facts.key, facts.currency) == ("in_1", "stripe-event:evt_1", "")
    bare = stripe_gateway.StripeGateway().refund_facts({"id": "ch_2"}, "evt_2")
    assert (bare.payment_id, bare.invoice_id) == ("", "")


def test_an_invoice_payment_without_an_invoice_is_skipped(stripe_mode: FakeStripe) -> None:
    stripe_mode.invoice_payments.append({"id": "inpay_1", "invoice": None, "payment": {"payment_intent": "pi_1"}})
    facts = stripe_gateway.StripeGateway().refund_facts({"id": "ch_1", "payment_intent": "pi_1"}, "evt_1")
    assert facts.invoice_id == ""


def test_it_asks_nothing_without_a_key(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = None
    with pytest.raises(GatewayError, match="not configured") as refusal:
        stripe_api.retrieve_subscription("sub_1")
    assert refusal.value.permanent


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (stripe.APIConnectionError("no route"), False),
        (stripe.RateLimitError("slow down", http_status=429), False),
        (stripe.APIError("oops", http_status=502), False),
        (stripe.InvalidRequestError("No such subscription", "id", http_status=404), True),
        (stripe.AuthenticationError("bad key", http_status=401), True),
    ],
)
def test_it_tells_passing_failures_from_lasting_ones(error: stripe.StripeError, permanent: bool) -> None:
    def failing() -> Any:
        raise error

    with pytest.raises(GatewayError) as raised:
        stripe_api._call(failing)
    assert raised.value.permanent is permanent


def test_a_stripe_customer_is_reused(stripe_mode: FakeStripe) -> None:
    gateway = stripe_gateway.StripeGateway()
    assert gateway.ensure_customer("w", "cus_existing", "a@example.com") == "cus_existing"
    created = gateway.ensure_customer("w", "", "")
    assert stripe_mode.customers[created] == {"id": created, "object": "customer", "metadata": {"wallet": "w"}}
    with pytest.raises(GatewayError, match="no Stripe customer"):
        gateway.portal_url("", "http://testserver/billing/")
