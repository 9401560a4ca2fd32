"""Email + password (photo-coach): brute force, bcrypt, verification, reset, sessions."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import identify_hasher
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from darkroom.accounts.models import User
from darkroom.privacy.policy import current_digest
from darkroom.profile import Profile
from tests.accounts.conftest import adult_birth_date
from tests.accounts.test_signup import confirm_email_from_mail

PASSWORD = "correct horse battery staple"


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> int:
    return int(client.post("/accounts/login/", {"login": email, "password": password}).status_code)


def test_it_signs_up_by_email_with_bcrypt_and_a_verified_address(photo_coach: Profile, client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "carol@example.com",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "birth_date": adult_birth_date(),
            "accept_policy": "on",
        },
    )
    assert response.status_code == 302
    assert "phone" not in client.get("/accounts/signup/").content.decode().lower()
    confirm_email_from_mail(client, "carol@example.com")
    user = User.objects.get()
    assert identify_hasher(user.password).algorithm == "bcrypt_sha256"
    assert (user.minimum_age_confirmed, user.policy_version_accepted) == (13, current_digest())
    assert EmailAddress.objects.get(user=user).verified


def test_it_answers_the_sixth_bad_password_with_429_known_or_not(photo_coach: Profile, alice: User) -> None:
    for network, email in enumerate((alice.email, "nobody@example.com")):
        client = Client(REMOTE_ADDR=f"10.0.0.{network + 1}")
        answers = [client.post("/accounts/login/", {"login": email, "password": "wrong"}) for _ in range(5)]
        assert {a.status_code for a in answers} == {400}
        assert all("not correct" in a.content.decode() for a in answers)
        sixth = client.post("/accounts/login/", {"login": email, "password": "wrong"})
        assert sixth.status_code == 429
        assert sixth["Retry-After"] == "300"
        assert "Wait 5 minutes, or reset your password" in sixth.content.decode()
    # Even the right password waits: the limit is on the account, not the guess.
    assert _sign_in(Client(REMOTE_ADDR="10.0.0.3"), alice.email) == 429


def test_it_resets_a_forgotten_password_by_email(photo_coach: Profile, client: Client, alice: User) -> None:
    assert client.post("/accounts/password/reset/", {"email": alice.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[-1].body)
    assert link
    form_url = client.get(link.group(1))["Location"]
    new = "an entirely different passphrase"
    assert client.post(form_url, {"password1": new, "password2": new}).status_code == 302
    assert _sign_in(Client(), alice.email, new) == 302


def test_it_ends_other_sessions_on_password_change_and_keeps_this_one(photo_coach: Profile, alice: User) -> None:
    here, elsewhere = Client(), Client()
    assert _sign_in(here, alice.email) == 302
    assert _sign_in(elsewhere, alice.email) == 302
    new = "an entirely different passphrase"
    response = here.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    assert here.get("/photos/").status_code == 200
    assert elsewhere.get("/photos/").status_code == 302


def test_sign_out_everywhere_else_ends_the_other_sessions_only(photo_coach: Profile, alice: User) -> None:
    here, elsewhere = Client(), Client()
    assert _sign_in(here, alice.email) == 302
    assert _sign_in(elsewhere, alice.email) == 302
    assert here.post("/accounts/sessions/").status_code == 302
    assert here.get("/photos/").status_code == 200
    assert elsewhere.get("/photos/").status_code == 302


def test_it_rotates_the_session_at_sign_in_and_kills_it_at_sign_out(photo_coach: Profile, alice: User) -> None:
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    assert _sign_in(client, alice.email) == 302
    after = client.cookies["sessionid"].value
    assert after != before
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=after).exists()
    stolen = Client()
    stolen.cookies["sessionid"] = after
    assert stolen.get("/photos/").status_code == 302


def test_it_changes_email_only_once_the_new_address_is_verified(photo_coach: Profile, alice: User) -> None:
    client = Client()
    _sign_in(client, alice.email)
    response = client.post("/accounts/email/", {"action_add": "", "email": "alice@new.example.com"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    confirm_email_from_mail(client, "alice@new.example.com")
    alice.refresh_from_db()
    assert alice.email == "alice@new.example.com"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", flat=True)) == ["alice@new.example.com"]


def test_it_shows_the_account_page_with_sessions_and_second_factor(photo_coach: Profile, alice: User) -> None:
    client = Client()
    _sign_in(client, alice.email)
    page = client.get("/account/").content.decode()
    for words in ("Change email", "Change password", "signed in on 1 device", "Second factor", "Google"):
        assert words in page
    assert "Mobile number" not in page
    assert client.post("/account/", {"name": "Alice A."}).status_code == 302
    alice.refresh_from_db()
    assert alice.name == "Alice A."
    assert client.get("/accounts/2fa/").status_code == 200
    # Turning on a second factor asks for the password again first.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.get("/accounts/sessions/").status_code == 200
