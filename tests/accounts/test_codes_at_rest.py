"""No code in clear anywhere: database, session store, cache, logs (the outbox plays the phone)."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, models
from django.test import Client

from darkroom.accounts import codes
from darkroom.accounts.models import User
from darkroom.notify.models import OutboxSms
from darkroom.profile import Profile
from tests.accounts.conftest import code_sent_to, phone_signup, phone_user

ALICE = "+6591234567"


def _rows_holding(needle: str) -> list[str]:
    """Every row of every table (but the outbox) with ``needle`` in a text column, decoded sessions included."""
    found = []
    for model in apps.get_models():
        if model is OutboxSms:
            continue
        text_fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for name in text_fields:
            lookup = f"{name}__icontains"
            try:
                hits = model._default_manager.filter(**{lookup: needle}).count()
            except Exception:
                hits = sum(needle in str(value) for value in model._default_manager.values_list(name, flat=True))
            if hits:
                found.append(f"{model._meta.label}.{name}")
    for session in Session.objects.all():
        if needle in str(session.get_decoded()):
            found.append(f"session {session.session_key}")
    with connection.cursor() as cursor:
        if "darkroom_cache" in connection.introspection.table_names():
            cursor.execute("SELECT value FROM darkroom_cache")
            found += ["cache" for (value,) in cursor.fetchall() if needle in str(value)]
    return found


def _in_session(client: Client, needle: str) -> bool:
    return needle in str(dict(client.session))


@pytest.mark.django_db
def test_it_keeps_sign_up_codes_only_as_an_hmac(
    selfie_studio: Profile, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    phone_signup(client, ALICE)
    code = code_sent_to(ALICE)
    assert _rows_holding(code) == []
    assert not _in_session(client, code)
    assert _in_session(client, codes.digest(code)), "allauth holds the HMAC, so the flow can work"

    client.post("/accounts/phone/verify/", {"code": "999999" if code != "999999" else "888888"})
    assert _rows_holding(code) == []
    assert not _in_session(client, code)

    assert client.post("/accounts/phone/verify/", {"code": code}).status_code == 302
    assert _rows_holding(code) == []
    assert not _in_session(client, codes.digest(code)), "used: gone from the session"
    assert not OutboxSms.objects.exists(), "used: gone from the outbox"
    assert code not in caplog.text
    assert cache.get(f"code-tries:{codes.digest(code)}") is None


@pytest.mark.django_db
def test_it_keeps_sign_in_codes_only_as_an_hmac_until_they_expire(
    selfie_studio: Profile, client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    phone_user(ALICE)
    client.post("/accounts/login/", {"login": ALICE})
    code = code_sent_to(ALICE)
    assert _rows_holding(code) == []
    assert not _in_session(client, code)
    assert code not in caplog.text

    from tests.accounts.test_phone import _later

    _later(monkeypatch, 601)
    client.post("/accounts/login/code/confirm/", {"code": code})
    assert not _in_session(client, codes.digest(code)), "expired: gone from the session"
    import datetime

    from django.utils import timezone

    from darkroom.notify.actions import do_purge_expired_outbox

    OutboxSms.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert do_purge_expired_outbox() == 1
    assert _rows_holding(code) == []
    assert User.objects.get().phone == ALICE


def test_it_makes_six_digit_codes_from_a_csprng(rf: object) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    digests = {codes.issue(request) for _ in range(50)}
    clear = [codes.reveal(request, d) for d in digests]
    assert all(c is not None and len(c) == 6 and c.isdigit() for c in clear)
    assert len(set(clear)) > 40
    assert all(codes.reveal(request, d) is None for d in digests), "revealed once, then forgotten"
