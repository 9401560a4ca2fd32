"""Fixtures for the API tests: the seed profiles, as in tests/accounts."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.profile import Profile
from tests.accounts.conftest import use_profile


@pytest.fixture
def selfie_studio(settings: SettingsWrapper, db: None) -> Profile:
    return use_profile(settings, "selfie-studio")


@pytest.fixture
def photo_coach(settings: SettingsWrapper, db: None) -> Profile:
    return use_profile(settings, "photo-coach")
