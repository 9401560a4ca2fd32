"""Fixtures for accounts: switch to a seed profile, read the SMS outbox."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.accounts.config import allauth_settings
from darkroom.accounts.models import User
from darkroom.notify.models import OutboxSms
from darkroom.profile import Profile, load

GOOGLE_CLIENT_ID = "darkroom-test.apps.googleusercontent.com"
GOOGLE_SECRET = "test-google-secret"


def use_profile(settings: SettingsWrapper, profile: Profile | str) -> Profile:
    """Run the rest of the test as the service configured by ``profile`` would."""
    chosen = load(profile) if isinstance(profile, str) else profile
    for name, value in allauth_settings(chosen, google_client_id=GOOGLE_CLIENT_ID, google_secret=GOOGLE_SECRET).items():
        setattr(settings, name, value)
    hashers = {
        "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "bcrypt": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    }
    settings.PASSWORD_HASHERS = [hashers[chosen.accounts.password_hasher]]
    return chosen


def with_accounts(profile: Profile, **changes: Any) -> Profile:
    return profile.model_copy(update={"accounts": profile.accounts.model_copy(update=changes)})


@pytest.fixture
def selfie_studio(settings: SettingsWrapper, db: None) -> Profile:
    return use_profile(settings, "selfie-studio")


@pytest.fixture
def photo_coach(settings: SettingsWrapper, db: None) -> Profile:
    return use_profile(settings, "photo-coach")


def adult_birth_date(years: int = 30) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) - datetime.timedelta(days=1)).isoformat()


def texts_to(phone: str) -> list[str]:
    return list(OutboxSms.objects.filter(to=phone).order_by("created_at").values_list("body", flat=True))


def code_sent_to(phone: str) -> str:
    """The code in the latest text to ``phone`` (the outbox plays the phone)."""
    bodies = texts_to(phone)
    assert bodies, f"no text to {phone} in the outbox"
    match = re.match(r"(\d{6}) is your ", bodies[-1])
    assert match, bodies[-1]
    return match.group(1)


def phone_signup(client: Client, phone: str, birth_date: str | None = None) -> Any:
    return client.post(
        "/accounts/signup/",
        {"phone": phone, "birth_date": birth_date or adult_birth_date(), "accept_policy": "on"},
    )


def phone_user(phone: str) -> User:
    user = User.objects.create_user(email=None, phone=phone, phone_verified=True)
    return user
