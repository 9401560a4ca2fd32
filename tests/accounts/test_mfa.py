"""TOTP second factor: the secret is encrypted at rest and codes still check."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from darkroom.accounts.models import User
from tests.accounts.conftest import phone_user


@pytest.mark.django_db
def test_the_totp_secret_is_not_stored_in_clear(alice: User) -> None:
    secret = generate_totp_secret()
    TOTP.activate(alice, secret)
    stored = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    assert stored.startswith("fernet:")


@pytest.mark.django_db
def test_a_current_code_from_the_encrypted_secret_is_accepted(alice: User) -> None:
    secret = generate_totp_secret()
    totp = TOTP.activate(alice, secret)
    counter = next(yield_hotp_counters_from_time())
    assert totp.validate_code(format_hotp_value(hotp_value(secret, counter)))
    assert not totp.validate_code("000000" if format_hotp_value(hotp_value(secret, counter)) != "000000" else "111111")


@pytest.mark.django_db
def test_a_phone_only_account_can_turn_on_totp(client: Client) -> None:
    # allauth asks for reauthentication only where a way to reauthenticate exists
    # (a password, or a second factor); a phone-only account has neither yet.
    user = phone_user("+6591234567")
    client.force_login(user)
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
