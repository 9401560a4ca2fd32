"""Buying credits and subscribing to Pro through the test gateway, in a real browser.

The test checkout page completes orders through the same fulfilment code as
Stripe's webhook; here a person clicks through it as they would on `make run`.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_buys_a_pack_and_subscribes_to_pro_with_the_test_gateway(
    signed_in_page: Page, live_server: LiveServer
) -> None:
    page = signed_in_page
    page.get_by_role("link", name="Credits").click()
    expect(page.locator("#balance")).to_have_text("0")

    # A credit pack: the clearly marked test checkout, then the balance and statement.
    page.get_by_role("button", name="Buy Starter").click()
    expect(page.get_by_text("TEST MODE")).to_be_visible()
    screenshot(page, "test-checkout.png")
    page.get_by_role("button", name=re.compile(r"^Pay .* \(test\)$")).click()
    page.goto(f"{live_server.url}/billing/")
    expect(page.locator("#balance")).to_have_text("20")
    expect(page.get_by_role("row").filter(has_text="Starter (20 credits)").first).to_contain_text("+20")

    # Pro: subscribing grants the monthly credits and changes the plan.
    page.get_by_role("button", name=re.compile(r"^Subscribe to ")).click()
    expect(page.get_by_text("TEST MODE")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Pay .* \(test\)$")).click()
    page.goto(f"{live_server.url}/billing/")
    expect(page.get_by_text("Your plan: Pro.")).to_be_visible()
    expect(page.locator("#balance")).to_have_text("120")
    expect(page.get_by_role("row").filter(has_text="Pro monthly credits").first).to_contain_text("+100")
    screenshot(page, "billing.png")

    # The order history has a printable receipt for each order.
    page.get_by_role("link", name="Orders and receipts").click()
    receipts = page.get_by_role("link", name=re.compile("receipt", re.IGNORECASE))
    expect(receipts).to_have_count(2)
    receipts.last.click()
    expect(page.get_by_text("Starter (20 credits)").first).to_be_visible()
    expect(page.get_by_text("$4.99").first).to_be_visible()
