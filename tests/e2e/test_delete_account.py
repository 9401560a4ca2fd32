"""Deleting an account from the account page, in a real browser: password again, the typed words, the receipt.

With DARKROOM_SCREENSHOTS=1 it saves docs/screenshots/delete-account.png (the confirmation page).
"""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from darkroom.billing import ledger
from darkroom.billing.models import Order
from darkroom.photos import actions as photo_actions
from darkroom.privacy.models import Erasure
from tests.conftest import fund, make_photo, stored_objects
from tests.e2e.conftest import NAMED_USER_PASSWORD, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _photos_and_an_order(alice: User) -> None:
    data = make_photo(320, 240)
    photo_actions.do_upload_photo(alice, io.BytesIO(data), len(data))
    photo_actions.do_store_result(alice, Image.new("RGB", (64, 48), "teal"), ai_generated=True)
    fund(alice, 20)
    Order.objects.create(
        user=alice,
        wallet=ledger.wallet_for(alice),
        kind=Order.Kind.PACK,
        product="starter",
        description="Starter (20 credits)",
        amount=499,
        currency="usd",
        credits=20,
        status=Order.Status.PAID,
        gateway="test",
        email=alice.email or "",
        paid_at=timezone.now(),
    )


def test_it_deletes_the_account_from_the_account_page(
    signed_in_page: Page, live_server: LiveServer, alice: User
) -> None:
    page = signed_in_page
    _photos_and_an_order(alice)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Delete my account…").click()

    # Re-authentication first: allauth asks for the password again.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill(NAMED_USER_PASSWORD)
    page.get_by_role("button", name=re.compile("confirm", re.IGNORECASE)).click()

    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    deleted = page.locator('[data-receipt="deleted"]')
    expect(deleted.locator('[data-label="photos.Photo"] .count')).to_have_text("2")
    expect(deleted.locator('[data-label="storage"] .count')).to_have_text("6")
    expect(page.locator('[data-receipt="kept"] [data-label="billing.Order"]')).to_contain_text("1")
    screenshot(page, "delete-account.png")

    # The wrong words change nothing.
    page.get_by_label("To confirm, type delete my account").fill("yes")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was deleted")
    assert User.objects.get(pk=alice.pk).is_active

    page.get_by_label("To confirm, type delete my account").fill("delete my account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is being deleted")).to_be_visible()
    erasure = Erasure.objects.get()
    expect(page.get_by_text(str(erasure.public_id))).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # signed out

    # Signed out for good: the password no longer opens the account.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email or "")
    page.get_by_label(re.compile(r"^Password:?$")).fill(NAMED_USER_PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="This account is closed")).to_be_visible()
    assert stored_objects(), "nothing is deleted before its date: hidden only"
