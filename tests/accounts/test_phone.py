"""Phone + SMS code sign-up and sign-in (selfie-studio), and every refusal on the way."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.accounts.actions import do_sweep_unfinished_signups
from darkroom.accounts.models import User
from darkroom.notify.models import OutboxSms
from darkroom.privacy.policy import current_digest
from darkroom.profile import Profile
from tests.accounts.conftest import (
    adult_birth_date,
    code_sent_to,
    phone_signup,
    phone_user,
    texts_to,
    with_accounts,
)

ALICE = "+6591234567"  # Singapore mobile
BOB = "+60123456789"  # Malaysia mobile


def _signed_in(client: Client) -> bool:
    return bool(client.get("/photos/").status_code == 200)


def _later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    """Move allauth's clock for code lifetimes forward."""
    import allauth.account.internal.flows.code_verification as verification

    class Later:
        @staticmethod
        def time() -> float:
            return time.time() + seconds

    monkeypatch.setattr(verification, "time", Later)


def test_it_signs_up_with_only_a_phone_number_and_the_code(selfie_studio: Profile, client: Client) -> None:
    response = phone_signup(client, "+65 9123 4567")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"
    assert not _signed_in(client)
    assert texts_to(ALICE) == [texts_to(ALICE)[0]]
    assert "expires in 10 minutes" in texts_to(ALICE)[0]

    response = client.post("/accounts/phone/verify/", {"code": code_sent_to(ALICE)})
    assert response.status_code == 302
    assert _signed_in(client)
    user = User.objects.get()
    assert (user.phone, user.phone_verified, user.email) == (ALICE, True, None)
    assert user.minimum_age_confirmed == 14
    assert user.policy_version_accepted == current_digest()
    assert user.age_confirmed_at is not None
    assert not user.has_usable_password()
    assert not OutboxSms.objects.exists(), "a used code stays nowhere, not even in the outbox"


def test_it_signs_in_with_a_code_by_sms(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    response = client.post("/accounts/login/", {"login": "+65 9123 4567"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/confirm/"
    response = client.post("/accounts/login/code/confirm/", {"code": code_sent_to(ALICE)})
    assert response.status_code == 302
    assert _signed_in(client)


def test_it_says_a_code_was_sent_to_an_unknown_number_but_sends_nothing(selfie_studio: Profile, client: Client) -> None:
    response = client.post("/accounts/login/", {"login": ALICE})
    assert response.status_code == 302  # the same answer as for a known number
    assert not OutboxSms.objects.exists()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("91234567", "with its country code"),
        ("+65 1234", "not a valid phone number"),
        ("call me maybe", "with its country code"),
        ("+65 6123 4567", "not a mobile number"),  # a Singapore landline
    ],
)
def test_it_refuses_a_malformed_or_unusable_number(
    selfie_studio: Profile, client: Client, number: str, reason: str
) -> None:
    response = phone_signup(client, number)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists()


def test_it_refuses_a_country_outside_the_allow_list_before_any_send(selfie_studio: Profile, client: Client) -> None:
    response = phone_signup(client, "+1 212 555 0123")
    assert response.status_code == 400
    assert "We can only send codes to numbers in SG (+65), MY (+60)" in response.content.decode()
    response = client.post("/accounts/login/", {"login": "+44 7700 900123"})
    assert response.status_code == 400
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists()


def test_it_refuses_a_second_text_to_one_number_within_a_minute(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    assert client.post("/accounts/login/", {"login": ALICE}).status_code == 302
    other = Client()
    response = other.post("/accounts/login/", {"login": ALICE})
    assert response.status_code == 429
    assert 50 <= int(response["Retry-After"]) <= 60
    assert "less than a minute ago" in response.content.decode()
    assert len(texts_to(ALICE)) == 1


def test_it_refuses_a_second_sign_up_text_for_one_number_and_keeps_no_account(
    selfie_studio: Profile, client: Client
) -> None:
    phone_signup(client, ALICE)
    response = phone_signup(Client(), ALICE)
    assert response.status_code == 429
    assert User.objects.count() == 1  # the first, waiting for its code
    assert len(texts_to(ALICE)) == 1


def test_it_caps_texts_per_network_per_hour(selfie_studio: Profile, settings: SettingsWrapper) -> None:
    settings.PROFILE = with_accounts(selfie_studio, sms_per_ip_per_hour=2)
    numbers = ["+6591234567", "+6591234568", "+6591234569"]
    for number in numbers:
        phone_user(number)
    answers = [Client().post("/accounts/login/", {"login": number}) for number in numbers]
    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert "from your network" in answers[2].content.decode()
    assert int(answers[2]["Retry-After"]) <= 3600
    assert OutboxSms.objects.count() == 2


def test_it_caps_all_texts_per_hour(selfie_studio: Profile, settings: SettingsWrapper) -> None:
    settings.PROFILE = with_accounts(selfie_studio, sms_per_hour=1)
    phone_user(ALICE)
    phone_user(BOB)
    assert Client().post("/accounts/login/", {"login": ALICE}).status_code == 302
    response = Client(REMOTE_ADDR="10.0.0.9").post("/accounts/login/", {"login": BOB})
    assert response.status_code == 429
    assert "paused" in response.content.decode()


def test_it_ends_a_code_after_three_wrong_tries_and_keeps_nothing(selfie_studio: Profile, client: Client) -> None:
    phone_signup(client, ALICE)
    code = code_sent_to(ALICE)
    wrong = "000000" if code != "000000" else "111111"
    first = client.post("/accounts/phone/verify/", {"code": wrong})
    assert first.status_code == 400
    assert "Incorrect code" in first.content.decode()
    client.post("/accounts/phone/verify/", {"code": wrong})
    client.post("/accounts/phone/verify/", {"code": wrong})
    response = client.post("/accounts/phone/verify/", {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)
    assert not User.objects.exists(), "a sign-up that was never completed leaves no account"
    assert not OutboxSms.objects.exists()


def test_it_refuses_an_expired_code(selfie_studio: Profile, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    phone_user(ALICE)
    client.post("/accounts/login/", {"login": ALICE})
    code = code_sent_to(ALICE)
    _later(monkeypatch, 10 * 60 + 1)
    response = client.post("/accounts/login/code/confirm/", {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)


def test_it_refuses_a_used_code(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    client.post("/accounts/login/", {"login": ALICE})
    code = code_sent_to(ALICE)
    assert client.post("/accounts/login/code/confirm/", {"code": code}).status_code == 302
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/code/confirm/", {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not _signed_in(client)


def test_it_refuses_a_code_from_another_session(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    client.post("/accounts/login/", {"login": ALICE})
    mallory = Client()
    response = mallory.post("/accounts/login/code/confirm/", {"code": code_sent_to(ALICE)})
    assert response.status_code == 302
    assert not _signed_in(mallory)


def test_it_refuses_a_phone_sign_up_under_the_minimum_age(selfie_studio: Profile, client: Client) -> None:
    response = phone_signup(client, ALICE, birth_date=adult_birth_date(13))
    assert response.status_code == 400
    assert "You must be at least 14 years old" in response.content.decode()
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists()


def test_it_sweeps_phone_sign_ups_whose_code_expired(selfie_studio: Profile, client: Client) -> None:
    phone_signup(client, ALICE)
    assert do_sweep_unfinished_signups() == 0
    User.objects.update(date_joined=User.objects.get().date_joined.replace(year=2000))
    phone_user(BOB)
    assert do_sweep_unfinished_signups() == 1
    assert list(User.objects.values_list("phone", flat=True)) == [BOB]
