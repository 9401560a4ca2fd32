"""The Stripe webhook: signatures both ways in time, exactly-once effects, any order of events."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest
from django.test import Client

from darkroom.accounts.models import User
from darkroom.billing import actions, ledger, plans, webhooks
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, WebhookEvent
from tests.billing.conftest import (
    CANCEL_URL,
    SUCCESS_URL,
    charge_obj,
    deliver,
    invoice_obj,
    make_event,
    post_event,
    session_for,
    signature,
    start_pack_checkout,
    subscription_obj,
)
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db


def _nothing_happened(user: User) -> None:
    assert ledger.balance(user) == 0
    assert not WebhookEvent.objects.exists()
    assert not LedgerEntry.objects.exists()


@pytest.fixture
def paid_event(alice: User, stripe_mode: FakeStripe) -> dict[str, Any]:
    return make_event("checkout.session.completed", session_for(stripe_mode, start_pack_checkout(alice)))


# --- refusals ---------------------------------------------------------------
def test_it_refuses_a_bad_signature(client: Client, alice: User, paid_event: dict[str, Any]) -> None:
    response = post_event(client, paid_event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert "signature does not verify" in response.content.decode()
    _nothing_happened(alice)


def test_it_refuses_a_stale_timestamp(client: Client, alice: User, paid_event: dict[str, Any]) -> None:
    response = post_event(client, paid_event, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert "more than 300 s old" in response.content.decode()
    _nothing_happened(alice)


def test_it_refuses_a_timestamp_from_the_future(client: Client, alice: User, paid_event: dict[str, Any]) -> None:
    """stripe-python alone would accept this one."""
    # Well past the 300 s: the check runs a moment after this line, and int() rounds down.
    response = post_event(client, paid_event, timestamp=int(time.time()) + 330)
    assert response.status_code == 400
    assert "more than 300 s in the future" in response.content.decode()
    _nothing_happened(alice)


def test_it_accepts_clock_skew_within_the_tolerance(client: Client, alice: User, paid_event: dict[str, Any]) -> None:
    assert post_event(client, paid_event, timestamp=int(time.time()) + 200).status_code == 200
    assert post_event(client, paid_event, timestamp=int(time.time()) - 200).status_code == 200
    assert WebhookEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "Missing the Stripe-Signature header"),
        ("garbage", "signature does not verify"),
        ("t=123", "signature does not verify"),
    ],
)
def test_it_refuses_a_missing_or_malformed_header(
    client: Client, alice: User, paid_event: dict[str, Any], header: str, reason: str
) -> None:
    response = post_event(client, paid_event, header=header)
    assert response.status_code == 400
    assert reason in response.content.decode()
    _nothing_happened(alice)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a Stripe event"),
        (json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {}}).encode(), "not a Stripe event"),
    ],
)
def test_it_refuses_a_signed_body_that_is_not_an_event(
    client: Client, alice: User, stripe_mode: FakeStripe, body: bytes, reason: str
) -> None:
    headers = {"Stripe-Signature": signature(body)}
    response = client.post("/billing/stripe/webhook/", body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    assert reason in response.content.decode()
    _nothing_happened(alice)


def test_the_endpoint_does_not_exist_without_stripe(client: Client, alice: User) -> None:
    response = post_event(client, make_event("checkout.session.completed", {"id": "cs_1"}))
    assert response.status_code == 404
    assert "not configured" in response.content.decode()


def test_it_takes_only_post(client: Client, stripe_mode: FakeStripe) -> None:
    assert client.get("/billing/stripe/webhook/").status_code == 405


def test_it_acknowledges_and_ignores_unknown_types(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    response = post_event(client, make_event("customer.tax_id.created", {"id": "txi_1"}))
    assert response.status_code == 200
    assert response.content.decode() == "Ignored: Darkroom does not handle customer.tax_id.created."
    _nothing_happened(alice)


# --- packs --------------------------------------------------------------------
def test_the_same_event_five_times_grants_once(client: Client, alice: User, paid_event: dict[str, Any]) -> None:
    answers = [deliver(client, paid_event).content.decode() for _ in range(5)]
    assert answers == ["Received."] + ["Already received."] * 4
    assert ledger.balance(alice) == 20
    assert LedgerEntry.objects.count() == 1
    row = WebhookEvent.objects.get()
    assert row.outcome.endswith(": paid")
    assert row.attempts == 1


def test_a_paid_checkout_grants_the_pack_and_records_the_payment(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    order = start_pack_checkout(alice, "studio")
    session = session_for(stripe_mode, order)
    deliver(client, make_event("checkout.session.completed", session))
    order.refresh_from_db()
    assert (order.status, order.gateway_payment_id, order.email) == (
        "paid",
        session["payment_intent"],
        "alice@example.com",
    )
    assert order.paid_at is not None
    assert ledger.balance(alice) == 100
    entry = LedgerEntry.objects.get()
    assert (entry.idempotency_key, entry.kind, entry.description) == (
        f"order:{order.public_id}",
        "purchase",
        "Studio (100 credits)",
    )


def test_an_unpaid_session_grants_nothing_until_the_payment_succeeds(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    order = start_pack_checkout(alice)
    session = session_for(stripe_mode, order, paid=False)  # a bank debit: completed, not yet paid
    deliver(client, make_event("checkout.session.completed", session))
    order.refresh_from_db()
    assert order.status == Order.Status.PROCESSING
    assert ledger.balance(alice) == 0
    deliver(client, make_event("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert ledger.balance(alice) == 20


def test_a_failed_delayed_payment_fails_the_order(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    order = start_pack_checkout(alice)
    session = session_for(stripe_mode, order, paid=False)
    deliver(client, make_event("checkout.session.completed", session))
    deliver(client, make_event("checkout.session.async_payment_failed", session))
    order.refresh_from_db()
    assert order.status == Order.Status.FAILED
    assert ledger.balance(alice) == 0


def test_an_expired_checkout_expires_the_order_but_never_a_paid_one(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    abandoned, paid = start_pack_checkout(alice), start_pack_checkout(alice)
    deliver(client, make_event("checkout.session.expired", stripe_mode.sessions[abandoned.gateway_session_id]))
    paid_session = session_for(stripe_mode, paid)
    deliver(client, make_event("checkout.session.completed", paid_session))
    deliver(client, make_event("checkout.session.expired", paid_session))
    abandoned.refresh_from_db()
    paid.refresh_from_db()
    assert (abandoned.status, paid.status) == (Order.Status.EXPIRED, Order.Status.PAID)
    assert ledger.balance(alice) == 20


def test_a_payment_that_differs_from_the_order_is_flagged_not_granted(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    order = start_pack_checkout(alice)
    session = {**session_for(stripe_mode, order), "amount_total": 1}
    deliver(client, make_event("checkout.session.completed", session))
    deliver(client, make_event("checkout.session.completed", session))
    assert ledger.balance(alice) == 0
    flag = AccountFlag.objects.get()
    assert "Paid 1 usd for an order of 499 usd" in flag.reason


def test_a_checkout_of_another_app_is_ignored(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    session = {"id": "cs_other", "client_reference_id": "not-ours", "mode": "payment", "payment_status": "paid"}
    deliver(client, make_event("checkout.session.completed", session))
    assert WebhookEvent.objects.get().outcome.startswith("ignored: checkout cs_other names no order")
    assert ledger.balance(alice) == 0


def test_a_subscription_checkout_grants_nothing_by_itself(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    session = {"id": "cs_sub", "client_reference_id": "pro:x", "mode": "subscription", "payment_status": "paid"}
    deliver(client, make_event("checkout.session.completed", session))
    assert WebhookEvent.objects.get().outcome == "subscription checkout: its paid invoice grants the credits"
    assert ledger.balance(alice) == 0


# --- Pro ------------------------------------------------------------------------
def _pro_customer(alice: User) -> tuple[str, str]:
    actions.do_start_pro_checkout(alice, success_url=SUCCESS_URL, cancel_url=CANCEL_URL)
    wallet = ledger.wallet_for(alice)
    return wallet.gateway_customer_id, str(wallet.public_id)


SUBSCRIPTION_EVENTS = [
    "customer.subscription.created",
    "customer.subscription.updated",
    "invoice.paid",
    "customer.subscription.deleted",
]


@pytest.mark.parametrize("order", list(itertools.permutations(SUBSCRIPTION_EVENTS)), ids="-".join)
def test_every_order_of_subscription_events_ends_in_the_same_state(
    client: Client, alice: User, stripe_mode: FakeStripe, order: tuple[str, ...]
) -> None:
    customer, wallet = _pro_customer(alice)
    # What each event carried when it was sent; the API now says: canceled.
    payloads = {
        "customer.subscription.created": subscription_obj(
            "sub_1", customer=customer, wallet=wallet, status="incomplete"
        ),
        "customer.subscription.updated": subscription_obj("sub_1", customer=customer, wallet=wallet, status="active"),
        "customer.subscription.deleted": subscription_obj("sub_1", customer=customer, wallet=wallet, status="canceled"),
        "invoice.paid": invoice_obj("in_1", subscription="sub_1", customer=customer),
    }
    stripe_mode.subscriptions["sub_1"] = payloads["customer.subscription.deleted"]
    for kind in order:
        deliver(client, make_event(kind, payloads[kind]))
    subscription = Subscription.objects.get()
    assert (subscription.status, subscription.gateway_customer_id) == ("canceled", customer)
    assert subscription.wallet.user == alice
    pro = Order.objects.get(kind=Order.Kind.PRO)
    assert (pro.status, pro.amount, pro.credits, pro.gateway_invoice_id) == ("paid", 999, 100, "in_1")
    assert ledger.balance(alice) == 100
    assert plans.tier_of(alice) == "free"
    assert all(row.processed_at for row in WebhookEvent.objects.all())


def test_pro_grants_every_month_and_only_for_new_periods(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    customer, wallet = _pro_customer(alice)
    stripe_mode.subscriptions["sub_1"] = subscription_obj("sub_1", customer=customer, wallet=wallet)
    deliver(client, make_event("customer.subscription.created", stripe_mode.subscriptions["sub_1"]))
    deliver(client, make_event("invoice.paid", invoice_obj("in_1", subscription="sub_1", customer=customer)))
    deliver(
        client,
        make_event(
            "invoice.paid", invoice_obj("in_2", subscription="sub_1", customer=customer, reason="subscription_cycle")
        ),
    )
    deliver(
        client,
        make_event(
            "invoice.paid",
            invoice_obj("in_3", subscription="sub_1", customer=customer, amount=120, reason="subscription_update"),
        ),
    )
    assert ledger.balance(alice) == 200
    assert plans.tier_of(alice) == "pro"
    assert sorted(Order.objects.values_list("gateway_invoice_id", "credits")) == [
        ("in_1", 100),
        ("in_2", 100),
        ("in_3", 0),
    ]
    assert Order.objects.get(gateway_invoice_id="in_1").description == "Pro, one month (100 credits)"


def test_an_invoice_finds_its_wallet_by_metadata_when_the_customer_is_new(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    wallet = ledger.wallet_for(alice)
    invoice = invoice_obj("in_1", subscription="sub_9", customer="cus_made_in_dashboard", wallet=str(wallet.public_id))
    deliver(client, make_event("invoice.paid", invoice))
    assert ledger.balance(alice) == 100


def test_invoices_that_are_not_ours_are_ignored(
    client: Client, alice: User, stripe_mode: FakeStripe, settings: Any
) -> None:
    deliver(client, make_event("invoice.paid", invoice_obj("in_1", subscription="sub_1", customer="cus_stranger")))
    one_off = {**invoice_obj("in_2", subscription="", customer="cus_stranger"), "parent": None}
    deliver(client, make_event("invoice.paid", one_off))
    outcomes = sorted(WebhookEvent.objects.values_list("outcome", flat=True))
    assert outcomes == [
        "ignored: invoice in_2 is not for a subscription",
        "ignored: no wallet for reference '' or customer 'cus_stranger'",
    ]
    from darkroom import profile

    settings.PROFILE = profile.load("selfie-studio")  # packs only
    deliver(client, make_event("invoice.paid", invoice_obj("in_3", subscription="sub_1", customer="cus_stranger")))
    assert WebhookEvent.objects.get(payload__data__object__id="in_3").outcome == "ignored: this service has no Pro plan"
    assert not Order.objects.exists()


# --- refunds ----------------------------------------------------------------------
def _paid(client: Client, alice: User, fake: FakeStripe, code: str = "starter") -> Order:
    order = start_pack_checkout(alice, code)
    deliver(client, make_event("checkout.session.completed", session_for(fake, order)))
    order.refresh_from_db()
    return order


def test_a_refund_of_unspent_credits_takes_them_back(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    order = _paid(client, alice, stripe_mode)
    deliver(client, make_event("charge.refunded", charge_obj(order.gateway_payment_id, amount=499, refunded=499)))
    order.refresh_from_db()
    assert (order.status, order.amount_refunded, order.credits_reversed) == ("refunded", 499, 20)
    assert ledger.balance(alice) == 0
    assert not AccountFlag.objects.exists()
    assert ledger.statement(alice)[0].description == "Payment refunded: Starter (20 credits)"


def test_a_refund_of_spent_credits_stops_at_zero_and_flags_the_account(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    order = _paid(client, alice, stripe_mode)
    ledger.debit(alice, 15, key="job:1:debit", reference="job:1", description="Animate")
    refund = make_event("charge.refunded", charge_obj(order.gateway_payment_id, amount=499, refunded=499))
    deliver(client, refund)
    deliver(client, refund)
    assert ledger.balance(alice) == 0
    flag = AccountFlag.objects.get()
    assert (flag.order, flag.credits_short, flag.resolved_at) == (order, 15, None)
    assert "15 of 20 credits were already spent" in flag.reason
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.REVERSAL).amount == -5


def test_partial_refunds_take_back_their_share_once(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    order = _paid(client, alice, stripe_mode, "studio")  # 100 credits for 1999
    half = make_event("charge.refunded", charge_obj(order.gateway_payment_id, amount=1999, refunded=1000))
    deliver(client, half)
    deliver(client, half)
    order.refresh_from_db()
    assert (order.status, ledger.balance(alice)) == ("partially_refunded", 50)  # 100 × 1000/1999 = 50.03 → 50
    deliver(client, make_event("charge.refunded", charge_obj(order.gateway_payment_id, amount=1999, refunded=1999)))
    order.refresh_from_db()
    assert (order.status, order.credits_reversed, ledger.balance(alice)) == ("refunded", 100, 0)
    # An old event arriving late takes nothing more.
    deliver(client, make_event("charge.refunded", charge_obj(order.gateway_payment_id, amount=1999, refunded=1000)))
    assert ledger.balance(alice) == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).count() == 2


def test_a_refunded_pro_invoice_is_found_through_its_invoice_payment(
    client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    customer, _wallet = _pro_customer(alice)
    deliver(client, make_event("invoice.paid", invoice_obj("in_1", subscription="sub_1", customer=customer)))
    stripe_mode.invoice_payments.append(
        {
            "id": "inpay_1",
            "object": "invoice_payment",
            "invoice": "in_1",
            "payment": {"type": "payment_intent", "payment_intent": "pi_pro"},
        }
    )
    deliver(client, make_event("charge.refunded", charge_obj("pi_pro", amount=999, refunded=999, customer=customer)))
    assert ledger.balance(alice) == 0
    assert Order.objects.get(gateway_invoice_id="in_1").status == Order.Status.REFUNDED


def test_a_refund_matching_no_order_is_flagged_or_ignored(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    customer, _wallet = _pro_customer(alice)
    deliver(
        client, make_event("charge.refunded", charge_obj("pi_unknown", amount=500, refunded=500, customer=customer))
    )
    assert "pi_unknown" in AccountFlag.objects.get().reason
    deliver(client, make_event("charge.refunded", charge_obj("pi_stranger", amount=500, refunded=500)))
    assert WebhookEvent.objects.filter(outcome__startswith="ignored: refund of pi_stranger").exists()


# --- processing -------------------------------------------------------------------
def test_a_failed_handler_keeps_the_event_for_a_retry(client: Client, alice: User, stripe_mode: FakeStripe) -> None:
    customer, wallet = _pro_customer(alice)
    stripe_mode.fail_with = (500, "Stripe is having a bad day")
    event = make_event("customer.subscription.updated", subscription_obj("sub_1", customer=customer, wallet=wallet))
    assert post_event(client, event).status_code == 200  # stored and acknowledged regardless
    row = WebhookEvent.objects.get()
    with pytest.raises(Exception, match="bad day"):
        webhooks.process_event(row.pk)
    row.refresh_from_db()
    assert (row.processed_at, row.attempts) == (None, 1)
    assert "GatewayError" in row.last_error
    stripe_mode.fail_with = None
    stripe_mode.subscriptions["sub_1"] = event["data"]["object"]
    assert webhooks.process_event(row.pk) == "subscription sub_1: active"
    row.refresh_from_db()
    assert (row.attempts, row.last_error) == (2, "")
    assert webhooks.process_event(row.pk) == "already processed"


def test_a_stored_event_of_a_type_no_longer_handled_is_ignored(stripe_mode: FakeStripe) -> None:
    row = WebhookEvent.objects.create(event_id="evt_old", type="charge.dispute.created", payload={}, source="webhook")
    assert webhooks.process_event(row.pk) == "ignored: Darkroom does not handle charge.dispute.created"
    assert webhooks.process_event(12345) == "already processed"
