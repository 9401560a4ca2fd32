"""Fixtures for the browser tests: a signed-in page, a phone-sized page, optional screenshots."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse the ORM calls that the tests and the live server make from that thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

PASSWORD = "a long and unusual passphrase"
# The password tests/conftest.py gives its named users (alice, bob, mallory).
NAMED_USER_PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot to docs/screenshots/, only when DARKROOM_SCREENSHOTS=1."""
    if os.environ.get("DARKROOM_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def sign_in(page: Page, base_url: str, email: str, password: str = NAMED_USER_PASSWORD) -> None:
    """Sign in through the sign-in form and wait for the gallery."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()


@pytest.fixture
def signed_in_page(page: Page, live_server: LiveServer, alice: User) -> Page:
    """A desktop-sized page with alice signed in, on her gallery."""
    sign_in(page, live_server.url, alice.email)
    return page


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a fresh context the size of a common phone (390×844), with touch."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()
