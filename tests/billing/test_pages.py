"""The billing pages, the test gateway end to end, and the same pages going to Stripe Checkout."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import ledger, plans
from darkroom.billing.gateways import test as test_gateway
from darkroom.billing.models import LedgerEntry, Order, Subscription
from tests.billing.conftest import session_for
from tests.billing.fake_stripe import FakeStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.force_login(alice)
    return client


def _checkout_link(response: Any) -> str:
    assert response.status_code == 302, response.content
    location: str = response["Location"]
    assert location.startswith("/billing/test-checkout/")
    return location


# --- the test gateway, as on `make run` ---------------------------------------
def test_a_new_user_buys_a_pack_through_the_test_gateway(alice_client: Client, alice: User) -> None:
    page = alice_client.get("/billing/").content.decode()
    assert "TEST MODE" in page
    assert "Buy Starter" in page
    assert "$4.99" in page
    link = _checkout_link(alice_client.post("/billing/buy/starter/"))
    checkout = alice_client.get(link).content.decode()
    assert "TEST MODE" in checkout
    assert "no money moves" in checkout
    assert "Pay $4.99 (test)" in checkout
    order = Order.objects.get()
    assert (order.status, order.gateway, order.credits) == ("pending", "test", 20)
    done = alice_client.post(link)
    assert done["Location"] == f"http://testserver/billing/success/?order={order.public_id}"
    thanks = alice_client.get(done["Location"]).content.decode()
    assert "20 credits were added" in thanks
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert ledger.balance(alice) == 20
    alice_client.post(link)  # the back button and a second click
    assert ledger.balance(alice) == 20
    page = alice_client.get("/billing/").content.decode()
    assert re.search(r'id="balance">20<', page)
    assert "Starter (20 credits)" in page  # on the statement and in recent orders


def test_a_new_user_subscribes_to_pro_through_the_test_gateway(alice_client: Client, alice: User) -> None:
    link = _checkout_link(alice_client.post("/billing/pro/"))
    assert "$9.99</strong> a month" in alice_client.get(link).content.decode()
    done = alice_client.post(link)
    assert done["Location"] == "http://testserver/billing/success/?plan=pro"
    assert "Welcome to Pro" in alice_client.get(done["Location"]).content.decode()
    assert alice_client.post(link).status_code == 302  # paying the same checkout again does nothing
    assert plans.tier_of(alice) == "pro"
    assert ledger.balance(alice) == 100
    assert Subscription.objects.get().gateway == "test"
    order = Order.objects.get()
    assert (order.kind, order.amount, order.credits, order.email) == ("pro", 999, 100, "alice@example.com")
    page = alice_client.get("/billing/").content.decode()
    assert "Pro monthly credits" in page
    assert "renews on" in page
    refused = alice_client.post("/billing/pro/")
    assert refused.status_code == 409
    assert "You already have Pro" in refused.content.decode()


def test_a_second_pro_checkout_cannot_be_paid_while_pro(alice_client: Client, alice: User) -> None:
    first, second = (
        _checkout_link(alice_client.post("/billing/pro/")),
        _checkout_link(alice_client.post("/billing/pro/")),
    )
    alice_client.post(first)
    response = alice_client.post(second)
    assert response.status_code == 409
    assert "You already have Pro" in response.content.decode()
    assert Subscription.objects.count() == 1


def test_the_test_portal_cancels_and_resumes(alice_client: Client, alice: User) -> None:
    alice_client.post(_checkout_link(alice_client.post("/billing/pro/")))
    portal = alice_client.post("/billing/portal/")
    assert portal["Location"] == "/billing/test-portal/"
    assert "TEST MODE" in alice_client.get("/billing/test-portal/").content.decode()
    alice_client.post("/billing/test-portal/", {"action": "cancel"})
    assert Subscription.objects.get().cancel_at_period_end
    assert "ends on" in alice_client.get("/billing/").content.decode()
    alice_client.post("/billing/test-portal/", {"action": "resume"})
    assert not Subscription.objects.get().cancel_at_period_end
    assert alice_client.post("/billing/test-portal/", {"action": "explode"}).status_code == 400
    alice_client.post("/billing/test-portal/", {"action": "cancel_now"})
    assert Subscription.objects.get().status == "canceled"
    assert plans.tier_of(alice) == "free"
    assert ledger.balance(alice) == 100  # the month paid for is kept


def test_the_test_gateway_is_refused_when_stripe_is_configured(
    alice_client: Client, alice: User, settings: Any
) -> None:
    link = _checkout_link(alice_client.post("/billing/buy/starter/"))
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    for response in (alice_client.get(link), alice_client.post(link), alice_client.get("/billing/test-portal/")):
        assert response.status_code == 403
        assert "takes real payments through Stripe" in response.content.decode()
    assert ledger.balance(alice) == 0


def test_mallory_cannot_use_alices_checkout_or_a_forged_one(client: Client, alice: User, mallory: User) -> None:
    client.force_login(alice)
    link = _checkout_link(client.post("/billing/buy/starter/"))
    client.force_login(mallory)
    response = client.post(link)
    assert response.status_code == 404
    assert "belongs to someone else" in response.content.decode()
    forged = client.get(link[:-6] + "xxxxx/")
    assert forged.status_code == 404
    assert "invalid or has expired" in forged.content.decode()
    assert ledger.balance(alice) == ledger.balance(mallory) == 0


def test_refusals_are_4xx_with_a_reason(alice_client: Client, settings: Any) -> None:
    missing = alice_client.post("/billing/buy/no-such-pack/")
    assert missing.status_code == 404
    assert "There is no such credit pack." in missing.content.decode()
    assert alice_client.get("/billing/buy/starter/").status_code == 405
    no_sub = alice_client.post("/billing/portal/")
    assert no_sub.status_code == 404
    assert "no subscription to manage" in no_sub.content.decode()
    assert alice_client.get("/billing/test-portal/").status_code == 404
    from darkroom import profile

    settings.PROFILE = profile.load("selfie-studio")
    no_pro = alice_client.post("/billing/pro/")
    assert no_pro.status_code == 404
    assert "no Pro plan" in no_pro.content.decode()
    page = alice_client.get("/billing/").content.decode()
    assert "Subscribe" not in page
    assert "Buy 120 credits" in page
    assert "Animate" in page
    assert "Critique" not in page


def test_pages_need_a_signed_in_person(client: Client) -> None:
    for url in ("/billing/", "/billing/orders/", "/billing/success/", "/billing/test-portal/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_canceling_a_checkout_cancels_the_order(alice_client: Client, alice: User) -> None:
    alice_client.post("/billing/buy/starter/")
    order = Order.objects.get()
    waiting = alice_client.get(f"/billing/success/?order={order.public_id}").content.decode()
    assert "Payment on its way" in waiting  # the test gateway has nothing to ask: only paying completes it
    page = alice_client.get(f"/billing/cancel/?order={order.public_id}").content.decode()
    assert "Nothing was charged for Starter" in page
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELED
    assert "Checkout canceled" in alice_client.get("/billing/cancel/?plan=pro").content.decode()


def test_orders_and_printable_receipts_are_the_owners_only(client: Client, alice: User, mallory: User) -> None:
    client.force_login(alice)
    client.post(_checkout_link(client.post("/billing/buy/starter/")))
    client.post("/billing/buy/studio/")  # left pending
    paid, pending = Order.objects.get(product="starter"), Order.objects.get(product="studio")
    listing = client.get("/billing/orders/").content.decode()
    assert "Receipt" in listing
    assert "Details" in listing
    assert "kept 7 years" in listing
    receipt = client.get(f"/billing/orders/{paid.public_id}/").content.decode()
    assert "<h1>Receipt</h1>" in receipt
    assert "window.print()" in receipt
    assert "@media print" in receipt
    assert "$4.99" in receipt
    assert "alice@example.com" in receipt
    assert "Test mode (no money moved)" in receipt
    assert "<h1>Order</h1>" in client.get(f"/billing/orders/{pending.public_id}/").content.decode()
    client.force_login(mallory)
    assert client.get(f"/billing/orders/{paid.public_id}/").status_code == 404
    assert client.get(f"/billing/success/?order={paid.public_id}").status_code == 404
    assert client.get("/billing/cancel/?order=not-a-uuid").status_code == 404
    assert "No orders yet" in client.get("/billing/orders/").content.decode()


def test_long_statements_and_order_lists_are_paged(alice_client: Client, alice: User) -> None:
    wallet = ledger.wallet_for(alice)
    for index in range(60):
        ledger.credit(alice, 1, key=f"order:{index}", reference="", description=f"Gift {index}")
        Order.objects.create(
            user=alice,
            wallet=wallet,
            kind="pack",
            product="starter",
            description=f"Order {index}",
            amount=499,
            currency="usd",
            credits=20,
            gateway="test",
        )
    first = alice_client.get("/billing/").content.decode()
    assert "Gift 59" in first
    assert "Gift 0<" not in first
    assert "Page 1 of 2" in first
    second = alice_client.get("/billing/?page=2").content.decode()
    assert "Gift 0<" in second
    assert "Newer" in second
    assert "Page 1 of 2" in alice_client.get("/billing/orders/").content.decode()
    assert "Order 0<" in alice_client.get("/billing/orders/?page=2").content.decode()


# --- the same pages with Stripe keys --------------------------------------------
def test_with_stripe_keys_buying_goes_to_stripe_checkout(
    alice_client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    assert "TEST MODE" not in alice_client.get("/billing/").content.decode()
    response = alice_client.post("/billing/buy/starter/")
    order = Order.objects.get()
    assert response["Location"] == f"https://checkout.stripe.com/c/pay/{order.gateway_session_id}"
    method, path, params = stripe_mode.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert params["mode"] == "payment"
    assert params["client_reference_id"] == str(order.public_id)
    assert params["line_items"][0]["price_data"] == {
        "currency": "usd",
        "unit_amount": "499",
        "product_data": {"name": "Starter (20 credits)"},
    }
    assert params["success_url"] == f"http://testserver/billing/success/?order={order.public_id}"
    assert params["customer"] == ledger.wallet_for(alice).gateway_customer_id
    alice_client.post("/billing/buy/studio/")
    assert len(stripe_mode.customers) == 1  # one Stripe customer per person


def test_with_stripe_keys_pro_goes_to_a_subscription_checkout_and_the_portal(
    alice_client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    response = alice_client.post("/billing/pro/")
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    _method, _path, params = stripe_mode.requests[-1]
    wallet = ledger.wallet_for(alice)
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert params["subscription_data"]["metadata"]["wallet"] == str(wallet.public_id)
    Subscription.objects.create(
        wallet=wallet,
        gateway="stripe",
        gateway_subscription_id="sub_1",
        gateway_customer_id=wallet.gateway_customer_id,
        status="active",
    )
    portal = alice_client.post("/billing/portal/")
    assert portal["Location"].startswith("https://billing.stripe.com/p/session/")
    assert stripe_mode.requests[-1][2] == {
        "customer": wallet.gateway_customer_id,
        "return_url": "http://testserver/billing/",
    }


def test_the_success_page_fulfils_a_paid_order_whose_webhook_is_late(
    alice_client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    alice_client.post("/billing/buy/starter/")
    order = Order.objects.get()
    waiting = alice_client.get(f"/billing/success/?order={order.public_id}").content.decode()
    assert "Payment on its way" in waiting
    session_for(stripe_mode, order)  # paid at Stripe; no webhook yet
    assert "20 credits were added" in alice_client.get(f"/billing/success/?order={order.public_id}").content.decode()
    assert ledger.balance(alice) == 20


def test_a_stripe_outage_is_a_clear_503_and_leaves_nothing_half_done(
    alice_client: Client, alice: User, stripe_mode: FakeStripe
) -> None:
    stripe_mode.fail_with = (500, "down")
    for url in ("/billing/buy/starter/", "/billing/pro/"):
        response = alice_client.post(url)
        assert response.status_code == 503
        assert "payment service is unavailable" in response.content.decode()
    assert not Order.objects.exclude(status=Order.Status.FAILED).exists()
    stripe_mode.fail_with = None
    alice_client.post("/billing/buy/starter/")  # creates the customer
    stripe_mode.fail_with = (500, "down")
    assert alice_client.post("/billing/buy/starter/").status_code == 503
    assert Order.objects.filter(status=Order.Status.FAILED).count() == 1
    order = Order.objects.get(status=Order.Status.PENDING)
    waiting = alice_client.get(f"/billing/success/?order={order.public_id}")  # cannot ask Stripe: still waiting
    assert "Payment on its way" in waiting.content.decode()
    wallet = ledger.wallet_for(alice)
    Subscription.objects.create(wallet=wallet, gateway="stripe", gateway_subscription_id="sub_1", status="active")
    assert alice_client.post("/billing/portal/").status_code == 503


def test_a_test_mode_subscription_cannot_be_managed_once_stripe_is_on(
    alice_client: Client, alice: User, settings: Any
) -> None:
    alice_client.post(_checkout_link(alice_client.post("/billing/pro/")))
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    response = alice_client.post("/billing/portal/")
    assert response.status_code == 409
    assert "made with the test gateway" in response.content.decode()


def test_renewals_in_test_mode_grant_each_month_and_honour_cancellation(alice_client: Client, alice: User) -> None:
    import time_machine

    alice_client.post(_checkout_link(alice_client.post("/billing/pro/")))
    subscription = Subscription.objects.get()
    assert subscription.current_period_end is not None
    assert test_gateway.renew_due_subscriptions() == 0
    with time_machine.travel(subscription.current_period_end + timezone.timedelta(minutes=1)):
        assert test_gateway.renew_due_subscriptions() == 1
        assert test_gateway.renew_due_subscriptions() == 0
    assert ledger.balance(alice) == 200
    assert Order.objects.filter(kind="pro").count() == 2
    subscription.refresh_from_db()
    test_gateway.manage(subscription, "cancel")
    subscription.refresh_from_db()
    with time_machine.travel(subscription.current_period_end + timezone.timedelta(minutes=1)):
        assert test_gateway.renew_due_subscriptions() == 0
    subscription.refresh_from_db()
    assert subscription.status == "canceled"
    assert ledger.balance(alice) == 200
    assert LedgerEntry.objects.filter(kind="subscription").count() == 2


def test_add_month_clamps_to_the_months_end() -> None:
    import datetime

    utc = datetime.UTC
    assert test_gateway.add_month(datetime.datetime(2026, 1, 31, tzinfo=utc)) == datetime.datetime(
        2026, 2, 28, tzinfo=utc
    )
    assert test_gateway.add_month(datetime.datetime(2026, 12, 15, tzinfo=utc)) == datetime.datetime(
        2027, 1, 15, tzinfo=utc
    )


def test_unknown_order_ids_are_404(alice_client: Client) -> None:
    assert alice_client.get(f"/billing/orders/{uuid.uuid4()}/").status_code == 404
