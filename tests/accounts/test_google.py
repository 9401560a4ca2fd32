"""Google sign-in (photo-coach) through allauth's provider, against a local fake of Google."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from django.core import mail
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.accounts.models import User
from darkroom.profile import Profile
from tests.accounts.conftest import GOOGLE_CLIENT_ID, adult_birth_date, use_profile
from tests.accounts.fake_google import FakeGoogle

SUB = "109876543210987654321"


@pytest.fixture
def google(photo_coach: Profile, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        # allauth reads these from settings at import time; the fake stands at a local address.
        monkeypatch.setattr(GoogleOAuth2Adapter, "access_token_url", f"{fake.url}/token")
        monkeypatch.setattr(GoogleOAuth2Adapter, "identity_url", f"{fake.url}/userinfo")
        yield fake


def _start(client: Client) -> str:
    """Press "Google" on the sign-in page; return the state Darkroom sent to Google."""
    response = client.post("/accounts/google/login/")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.netloc == "accounts.google.com"
    query = parse_qs(target.query)
    assert query["client_id"] == [GOOGLE_CLIENT_ID]
    assert "code_challenge" in query  # PKCE
    return query["state"][0]


def _callback(client: Client, state: str, code: str) -> object:
    return client.get("/accounts/google/login/callback/", {"state": state, "code": code})


def _finish_signup(client: Client, email: str, birth_date: str | None = None) -> object:
    return client.post(
        "/accounts/3rdparty/signup/",
        {"email": email, "birth_date": birth_date or adult_birth_date(), "accept_policy": "on"},
    )


def test_it_signs_up_with_google_keyed_on_the_subject_id(google: FakeGoogle, client: Client) -> None:
    state = _start(client)
    response = _callback(client, state, google.authorize(sub=SUB, email="carol@gmail.com"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert not User.objects.exists(), "nothing is stored before the age gate and consent"
    response = _finish_signup(client, "carol@gmail.com")
    assert response.status_code == 302
    assert client.get("/photos/").status_code == 200
    account = SocialAccount.objects.get()
    assert (account.provider, account.uid, account.user.email) == ("google", SUB, "carol@gmail.com")
    assert account.user.minimum_age_confirmed == 13
    assert not account.user.has_usable_password()
    assert google.token_requests[0]["code_verifier"]

    # Next time, the same subject signs straight in, whatever its email is now.
    other = Client()
    state = _start(other)
    response = _callback(other, state, google.authorize(sub=SUB, email="carol.new@gmail.com"))
    assert response.status_code == 302
    assert other.get("/photos/").status_code == 200
    assert User.objects.count() == 1


def test_it_refuses_a_google_sign_up_under_the_minimum_age(google: FakeGoogle, client: Client) -> None:
    state = _start(client)
    _callback(client, state, google.authorize(sub=SUB, email="kid@gmail.com"))
    response = _finish_signup(client, "kid@gmail.com", birth_date=adult_birth_date(12))
    assert response.status_code == 400
    assert "You must be at least 13 years old" in response.content.decode()
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_it_never_links_google_to_a_password_account_silently(google: FakeGoogle, client: Client, alice: User) -> None:
    state = _start(client)
    response = _callback(client, state, google.authorize(sub=SUB, email=alice.email))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/3rdparty/signup/"
    assert client.get("/photos/").status_code == 302
    response = _finish_signup(client, alice.email)
    assert client.get("/photos/").status_code == 302
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    # Answered as for a new address (no enumeration); the address's owner is told by email.
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert mail.outbox[-1].to == [alice.email]


def test_it_refuses_a_bad_state(google: FakeGoogle, client: Client) -> None:
    _start(client)
    response = _callback(client, "forged-state", google.authorize(sub=SUB, email="carol@gmail.com"))
    assert response.status_code == 401
    assert "Third-Party Login Failure" in response.content.decode()
    assert google.token_requests == [], "a forged state never reaches Google"
    assert not User.objects.exists()


def test_it_refuses_a_reused_authorization_code(google: FakeGoogle, client: Client) -> None:
    code = google.authorize(sub=SUB, email="carol@gmail.com")
    state = _start(client)
    _callback(client, state, code)
    again = Client()
    state = _start(again)
    response = _callback(again, state, code)
    assert response.status_code == 401
    assert "Third-Party Login Failure" in response.content.decode()
    assert again.get("/photos/").status_code == 302


def test_it_shows_google_only_when_configured(settings: SettingsWrapper, photo_coach: Profile, client: Client) -> None:
    assert "/accounts/google/login/" in client.get("/accounts/login/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": []}}
    assert "/accounts/google/login/" not in client.get("/accounts/login/").content.decode()
    use_profile(settings, "selfie-studio")
    assert "/accounts/google/login/" not in client.get("/accounts/login/").content.decode()
