"""Changing the mobile number on the account page (selfie-studio): the old one stays until the new is proved."""

from __future__ import annotations

from django.core.cache import cache
from django.test import Client

from darkroom.accounts.models import User
from darkroom.accounts.phone import _number_key
from darkroom.profile import Profile
from tests.accounts.conftest import code_sent_to, phone_user, texts_to

OLD = "+6591234567"  # Singapore mobile
NEW = "+6598765432"  # another Singapore mobile


def _sign_in(client: Client, phone: str) -> None:
    """Sign in with a code, as a person does (allauth then counts the session as freshly authenticated)."""
    client.post("/accounts/login/", {"login": phone})
    response = client.post("/accounts/login/code/confirm/", {"code": code_sent_to(phone)})
    assert response.status_code == 302
    assert client.get("/photos/").status_code == 200


def _ask_for(client: Client, phone: str) -> None:
    """Follow "Change number" on the account page and submit the new number."""
    page = client.get("/account/").content.decode()
    assert 'href="/accounts/phone/change/"' in page
    response = client.post("/accounts/phone/change/", {"phone": phone})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/verify/"


def _phone_of(user: User) -> tuple[str | None, bool]:
    user.refresh_from_db()
    return user.phone, user.phone_verified


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_it_texts_the_new_number_and_keeps_the_old_one_until_the_code(selfie_studio: Profile, client: Client) -> None:
    alice = phone_user(OLD)
    _sign_in(client, OLD)
    texts_to_old = len(texts_to(OLD))

    _ask_for(client, "+65 9876 5432")
    assert len(texts_to(NEW)) == 1, "the code goes to the new number"
    assert len(texts_to(OLD)) == texts_to_old, "nothing more goes to the old number"
    assert _phone_of(alice) == (OLD, True), "the old number stays until the new one is proved"
    assert "+6591234567" in client.get("/account/").content.decode()
    assert User.objects.filter(phone=NEW).count() == 0

    response = client.post("/accounts/phone/verify/", {"code": _wrong(code_sent_to(NEW))})
    assert response.status_code == 400
    assert "Incorrect code" in response.content.decode()
    assert _phone_of(alice) == (OLD, True)

    response = client.post("/accounts/phone/verify/", {"code": code_sent_to(NEW)})
    assert response.status_code == 302
    assert _phone_of(alice) == (NEW, True)
    assert client.get("/photos/").status_code == 200, "still signed in"
    assert not texts_to(NEW), "a used code stays nowhere, not even in the outbox"

    # The new number is the way in now; the old one leads nowhere.
    client.post("/accounts/logout/")
    cache.delete(_number_key(OLD))  # a minute later: one text per number per minute
    cache.delete(_number_key(NEW))
    Client().post("/accounts/login/", {"login": OLD})
    assert not texts_to(OLD)
    _sign_in(Client(), NEW)


def test_three_wrong_codes_leave_the_old_number(selfie_studio: Profile, client: Client) -> None:
    alice = phone_user(OLD)
    _sign_in(client, OLD)
    _ask_for(client, NEW)
    code = code_sent_to(NEW)

    for _ in range(2):
        response = client.post("/accounts/phone/verify/", {"code": _wrong(code)})
        assert response.status_code == 400
        assert _phone_of(alice) == (OLD, True)
    response = client.post("/accounts/phone/verify/", {"code": _wrong(code)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/change/"
    assert _phone_of(alice) == (OLD, True)
    assert not texts_to(NEW), "the ended code is dropped from the outbox"

    # The code is ended: even the right one no longer changes anything.
    response = client.post("/accounts/phone/verify/", {"code": code})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/phone/change/"
    assert _phone_of(alice) == (OLD, True)
    assert User.objects.filter(pk=alice.pk).exists(), "a signed-in account is never swept as an unfinished sign-up"
    assert client.get("/photos/").status_code == 200
