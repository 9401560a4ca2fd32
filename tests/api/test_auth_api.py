"""Sign-up and sign-in through /api/v1/auth/…: the pages' flows and every refusal, as JSON."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from darkroom.accounts import codes
from darkroom.accounts.models import User
from darkroom.notify.models import OutboxSms
from darkroom.privacy.policy import current_digest
from darkroom.profile import Profile
from tests.accounts.conftest import adult_birth_date, code_sent_to, phone_user, texts_to
from tests.accounts.test_codes_at_rest import _in_session, _rows_holding
from tests.accounts.test_phone import _later
from tests.accounts.test_signup import confirm_email_from_mail

pytestmark = pytest.mark.django_db

ALICE = "+6591234567"  # Singapore mobile
PASSWORD = "a long and unusual passphrase"


def _post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/auth/{path}", body or {}, content_type="application/json")


def _phone_signup(client: Client, phone: str, birth_date: str | None = None) -> Any:
    return _post(
        client, "signup", {"phone": phone, "birth_date": birth_date or adult_birth_date(), "accept_policy": True}
    )


def _under(years: int) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) + datetime.timedelta(days=1)).isoformat()


def _session(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/auth/session")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


# --- phone (selfie-studio) ---------------------------------------------------
def test_it_signs_up_by_phone_and_code_then_signs_out(selfie_studio: Profile, client: Client) -> None:
    response = _phone_signup(client, "+65 9123 4567")
    assert response.status_code == 202, response.content
    assert response.json() == {"authenticated": False, "user": None, "pending": "verify_phone", "csrf_token": None}
    code = code_sent_to(ALICE)
    assert _rows_holding(code) == []
    assert not _in_session(client, code)
    assert _in_session(client, codes.digest(code))

    response = _post(client, "code/confirm", {"code": code})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["phone"] == ALICE
    user = User.objects.get()
    assert (user.phone, user.phone_verified, user.minimum_age_confirmed) == (ALICE, True, 14)
    assert user.policy_version_accepted == current_digest()
    assert not user.has_usable_password()
    assert _rows_holding(code) == []
    assert not _in_session(client, codes.digest(code)), "used: gone from the session"
    assert not OutboxSms.objects.exists(), "used: gone from the outbox"
    assert _session(client)["authenticated"] is True

    assert _post(client, "logout").status_code == 204
    assert _session(client)["authenticated"] is False


def test_it_signs_in_with_a_code_by_sms(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    response = _post(client, "code/request", {"phone": "+65 9123 4567"})
    assert response.status_code == 202, response.content
    assert response.json()["pending"] == "login_by_code"
    code = code_sent_to(ALICE)
    assert not _in_session(client, code)
    response = _post(client, "code/confirm", {"code": code})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["phone"] == ALICE


def test_it_answers_an_unknown_number_as_a_known_one_and_sends_nothing(selfie_studio: Profile, client: Client) -> None:
    response = _post(client, "code/request", {"phone": ALICE})
    assert response.status_code == 202
    assert response.json()["pending"] == "login_by_code"
    assert not OutboxSms.objects.exists()


def test_it_refuses_a_sign_up_under_the_minimum_age(selfie_studio: Profile, client: Client) -> None:
    response = _phone_signup(client, ALICE, _under(14))
    assert response.status_code == 400
    assert "at least 14 years old" in response.json()["detail"]
    assert "birth_date" in response.json()["errors"]
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists()


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("91234567", "with its country code"),
        ("+65 1234", "not a valid phone number"),
        ("+65 6123 4567", "not a mobile number"),
        ("+1 212 555 0123", "We can only send codes to numbers in SG (+65), MY (+60)"),
    ],
)
def test_it_refuses_a_number_it_cannot_text(selfie_studio: Profile, client: Client, number: str, reason: str) -> None:
    for path, body in (
        ("signup", {"phone": number, "birth_date": adult_birth_date(), "accept_policy": True}),
        ("code/request", {"phone": number}),
    ):
        response = _post(client, path, body)
        assert response.status_code == 400, path
        assert reason in response.json()["detail"]
    assert not User.objects.exists()
    assert not OutboxSms.objects.exists()


def test_it_refuses_a_second_text_within_a_minute_with_retry_after(selfie_studio: Profile, client: Client) -> None:
    phone_user(ALICE)
    assert _post(client, "code/request", {"phone": ALICE}).status_code == 202
    response = _post(Client(), "code/request", {"phone": ALICE})
    assert response.status_code == 429
    assert 50 <= int(response["Retry-After"]) <= 60
    assert "less than a minute ago" in response.json()["detail"]
    assert len(texts_to(ALICE)) == 1


def test_it_ends_the_code_after_three_wrong_tries(selfie_studio: Profile, client: Client) -> None:
    _phone_signup(client, ALICE)
    code = code_sent_to(ALICE)
    wrong = "999999" if code != "999999" else "888888"
    answers = [_post(client, "code/confirm", {"code": wrong}) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 400]
    response = _post(client, "code/confirm", {"code": code})
    assert response.status_code == 409
    assert "Ask for a new one" in response.json()["detail"]
    assert not User.objects.exists(), "the unfinished sign-up is gone"
    assert not OutboxSms.objects.exists()


def test_it_refuses_an_expired_code(selfie_studio: Profile, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    phone_user(ALICE)
    _post(client, "code/request", {"phone": ALICE})
    code = code_sent_to(ALICE)
    _later(monkeypatch, 601)
    response = _post(client, "code/confirm", {"code": code})
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    assert _session(client)["authenticated"] is False
    assert not _in_session(client, codes.digest(code))


def test_it_refuses_a_code_when_none_was_asked_for(selfie_studio: Profile, client: Client) -> None:
    assert _post(client, "code/confirm", {"code": "123456"}).status_code == 409


# --- email + password (photo-coach) --------------------------------------------
def test_it_signs_up_by_email_verifies_then_signs_in(photo_coach: Profile, client: Client) -> None:
    response = _post(
        client,
        "signup",
        {"email": "carol@example.com", "password": PASSWORD, "birth_date": adult_birth_date(), "accept_policy": True},
    )
    assert response.status_code == 202, response.content
    assert response.json()["pending"] == "verify_email"
    confirm_email_from_mail(Client(), "carol@example.com")  # the link opens in a browser
    response = _post(client, "login", {"login": "carol@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["email"] == "carol@example.com"
    user = User.objects.get()
    assert (user.minimum_age_confirmed, user.policy_version_accepted) == (13, current_digest())


def test_it_refuses_an_email_sign_up_under_13_or_without_consent(photo_coach: Profile, client: Client) -> None:
    body = {"email": "kid@example.com", "password": PASSWORD, "birth_date": _under(13), "accept_policy": True}
    response = _post(client, "signup", body)
    assert response.status_code == 400
    assert "at least 13 years old" in response.json()["detail"]
    response = _post(client, "signup", {**body, "birth_date": adult_birth_date(), "accept_policy": False})
    assert response.status_code == 400
    assert "accept_policy" in response.json()["errors"]
    assert not User.objects.exists()
    assert not mail.outbox


def test_it_refuses_code_sign_in_where_the_service_has_none(photo_coach: Profile, client: Client) -> None:
    response = _post(client, "code/request", {"email": "alice@example.com"})
    assert response.status_code == 403
    assert "email and password" in response.json()["detail"]


def test_it_answers_the_sixth_bad_password_with_429(photo_coach: Profile, alice: User) -> None:
    client = Client(REMOTE_ADDR="10.0.0.9")
    answers = [_post(client, "login", {"login": alice.email, "password": "wrong"}) for _ in range(5)]
    assert {a.status_code for a in answers} == {400}
    assert all("not correct" in a.json()["detail"] for a in answers)
    sixth = _post(client, "login", {"login": alice.email, "password": "wrong"})
    assert sixth.status_code == 429
    assert sixth["Retry-After"] == "300"
    assert "Wait 5 minutes" in sixth.json()["detail"]
    right = _post(
        Client(REMOTE_ADDR="10.0.0.10"), "login", {"login": alice.email, "password": "correct horse battery staple"}
    )
    assert right.status_code == 429, "the limit is on the account, not the guess"


def test_it_checks_csrf_like_the_pages(photo_coach: Profile, alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    body = {"login": alice.email, "password": "correct horse battery staple"}
    refused = _post(client, "login", body)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    token = _session(client)["csrf_token"]
    response = client.post("/api/v1/auth/login", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content


def test_it_lists_the_auth_endpoints_in_the_openapi_page(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("session", "signup", "login", "code/request", "code/confirm", "logout"):
        assert f"/api/v1/auth/{path}" in paths
