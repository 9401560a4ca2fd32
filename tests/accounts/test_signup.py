from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.privacy.policy import current_digest


def _birth_date(years_ago: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years_ago) + datetime.timedelta(days=days)).isoformat()


def _signup(client: Client, email: str, birth_date: str, **extra: str) -> object:
    data = {
        "email": email,
        "password1": "a long and unusual passphrase",
        "password2": "a long and unusual passphrase",
        "birth_date": birth_date,
        "accept_policy": "on",
        **extra,
    }
    return client.post("/accounts/signup/", data)


def confirm_email_from_mail(client: Client, email: str) -> None:
    """Follow the verification link allauth mailed to ``email`` (verification is mandatory)."""
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", message.body)
    assert link, message.body
    assert client.post(link.group(1)).status_code == 302


@pytest.mark.django_db
def test_it_signs_up_and_records_the_age_check_not_the_birth_date(client: Client) -> None:
    response = _signup(client, "alice@example.com", _birth_date(30))
    assert response.status_code == 302
    user = User.objects.get(email="alice@example.com")
    assert user.age_confirmed_at is not None
    assert user.minimum_age_confirmed == 13
    assert user.policy_version_accepted == current_digest()
    assert "birth" not in {f.name for f in User._meta.get_fields()}
    # Not signed in until the address is proved.
    assert client.get("/photos/").status_code == 302
    confirm_email_from_mail(client, "alice@example.com")
    assert client.get("/photos/").status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_sign_up_below_the_minimum_age_and_stores_nothing(client: Client) -> None:
    response = _signup(client, "young@example.com", _birth_date(13, days=1))
    assert response.status_code == 400
    assert "You must be at least 13 years old" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_accepts_someone_who_turns_the_minimum_age_today(client: Client) -> None:
    assert _signup(client, "birthday@example.com", _birth_date(13)).status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_birth_date_in_the_future(client: Client) -> None:
    response = _signup(client, "future@example.com", _birth_date(-1))
    assert "cannot be in the future" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_requires_accepting_the_policy(client: Client) -> None:
    data_without_consent = {"accept_policy": ""}
    response = _signup(client, "alice@example.com", _birth_date(30), **data_without_consent)
    assert response.status_code == 400
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_hashes_passwords_with_the_profiles_hasher(client: Client) -> None:
    _signup(client, "alice@example.com", _birth_date(30))
    user = User.objects.get()
    assert identify_hasher(user.password).algorithm == "argon2"
    assert "passphrase" not in user.password


@pytest.mark.django_db
def test_it_refuses_an_email_already_taken_without_telling_the_page(client: Client, alice: User) -> None:
    # The page answers as for a new address (no account enumeration); the owner
    # of the address learns by email that someone tried to sign up with it.
    response = _signup(client, alice.email.upper(), _birth_date(30))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "already" not in client.get(response["Location"]).content.decode()
    assert User.objects.count() == 1
    assert mail.outbox[-1].to == [alice.email]
    assert "already" in mail.outbox[-1].body.lower()


@pytest.mark.django_db
def test_it_signs_in_and_out(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"login": alice.email, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/photos/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/photos/").status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_wrong_password(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"login": alice.email, "password": "wrong"})
    assert response.status_code == 400
    assert client.get("/photos/").status_code == 302
