"""selfie-studio in a real browser: sign up, sign out, sign in, with only a phone and the code from the outbox."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from darkroom.accounts.phone import _number_key
from darkroom.notify.models import OutboxSms
from tests.accounts.conftest import adult_birth_date, code_sent_to, use_profile

pytestmark = pytest.mark.e2e

PHONE = "+6591234567"


def _enter_code_from_the_outbox(page: Page) -> None:
    page.get_by_label("Code").fill(code_sent_to(PHONE))
    page.get_by_role("button", name=re.compile(r"^(verify|confirm|sign in)", re.IGNORECASE)).click()


def test_it_signs_up_and_in_with_only_a_phone_number(
    page: Page, live_server: LiveServer, settings: SettingsWrapper, transactional_db: None
) -> None:
    use_profile(settings, "selfie-studio")
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_label("Email")).to_have_count(0)
    page.get_by_label("Mobile number").fill("+65 9123 4567")
    page.get_by_label("Date of birth").fill(adult_birth_date())
    page.get_by_label("I have read the privacy policy").check()
    page.get_by_role("button", name=re.compile(r"^sign up$", re.IGNORECASE)).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/phone/verify/")
    _enter_code_from_the_outbox(page)
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()
    user = User.objects.get()
    assert (user.phone, user.phone_verified, user.email) == (PHONE, True, None)
    assert not OutboxSms.objects.exists()

    page.get_by_role("button", name="Sign out").click()
    cache.delete(_number_key(PHONE))  # a minute later: one text per number per minute
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Mobile number").fill("+65 9123 4567")
    page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/code/confirm/")
    _enter_code_from_the_outbox(page)
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()
