"""photo-coach in a real browser: "Google" on the sign-in page, through a local fake of Google, and back.

The fake (tests/accounts/fake_google.py) stands in for accounts.google.com and
its token and userinfo endpoints; the browser really follows both redirects
(Darkroom → the fake's /authorize → Darkroom's callback).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from django.core import mail
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from darkroom.accounts.models import User
from tests.accounts.conftest import GOOGLE_CLIENT_ID, adult_birth_date, use_profile
from tests.accounts.fake_google import FakeGoogle

pytestmark = pytest.mark.e2e

SUB = "109876543210987654321"


@pytest.fixture
def google(settings: SettingsWrapper, transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    """photo-coach, with Google configured and all three of its endpoints at the fake (on 127.0.0.1)."""
    use_profile(settings, "photo-coach")
    with FakeGoogle() as fake:
        # allauth reads these from settings at import time; the live server runs in this process.
        monkeypatch.setattr(GoogleOAuth2Adapter, "authorize_url", f"{fake.url}/authorize")
        monkeypatch.setattr(GoogleOAuth2Adapter, "access_token_url", f"{fake.url}/token")
        monkeypatch.setattr(GoogleOAuth2Adapter, "identity_url", f"{fake.url}/userinfo")
        yield fake


def _continue_with_google(page: Page, base_url: str) -> None:
    """Press "Google" on the sign-in page, then allauth's "Continue"; the fake sends the browser straight back."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("link", name="Google").click()
    page.get_by_role("button", name="Continue").click()


def test_it_signs_up_with_google_in_a_browser(page: Page, live_server: LiveServer, google: FakeGoogle) -> None:
    google.person = {"sub": SUB, "email": "carol@gmail.com", "name": "Carol"}
    _continue_with_google(page, live_server.url)

    expect(page).to_have_url(f"{live_server.url}/accounts/3rdparty/signup/")
    (request,) = google.authorize_requests
    assert request["client_id"] == [GOOGLE_CLIENT_ID]
    assert request["redirect_uri"] == [f"{live_server.url}/accounts/google/login/callback/"]
    assert request["code_challenge_method"] == ["S256"]
    assert request["code_challenge"], "PKCE"
    assert not User.objects.exists(), "nothing is stored before the age gate and consent"

    expect(page.get_by_label("Email")).to_have_value("carol@gmail.com")
    page.get_by_label("Date of birth").fill(adult_birth_date())
    page.get_by_label("I have read the privacy policy").check()
    page.get_by_role("button", name=re.compile(r"^sign up$", re.IGNORECASE)).click()
    expect(page.get_by_role("heading", name="Your photos")).to_be_visible()

    account = SocialAccount.objects.get()
    assert (account.provider, account.uid, account.user.email) == ("google", SUB, "carol@gmail.com")
    assert account.user.minimum_age_confirmed == 13
    assert not account.user.has_usable_password()
    (token_request,) = google.token_requests
    assert token_request["code_verifier"], "PKCE: the fake checked it against the challenge"


def test_it_does_not_link_google_to_a_password_account_in_a_browser(
    page: Page, live_server: LiveServer, google: FakeGoogle, alice: User
) -> None:
    google.person = {"sub": SUB, "email": alice.email, "name": "Not Alice"}
    _continue_with_google(page, live_server.url)
    expect(page).to_have_url(f"{live_server.url}/accounts/3rdparty/signup/")
    page.get_by_label("Date of birth").fill(adult_birth_date())
    page.get_by_label("I have read the privacy policy").check()
    page.get_by_role("button", name=re.compile(r"^sign up$", re.IGNORECASE)).click()

    # The page answers as for a new address (it must not tell who has an account) ...
    expect(page).to_have_url(f"{live_server.url}/accounts/confirm-email/")
    page.goto(f"{live_server.url}/photos/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    # ... and the address's owner is told by email to sign in with their password first.
    (message,) = mail.outbox
    assert message.to == [alice.email]
    assert "sign in with your password first, then connect Google" in message.body
    assert f"{live_server.url}/accounts/login/" in message.body
    assert f"{live_server.url}/account/" in message.body
