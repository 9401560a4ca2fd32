"""The studio's tests run jobs, and jobs cost credits; the provider fakes every chain test shares."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from darkroom.studio import chain


@pytest.fixture(autouse=True)
def _alice_has_credits(funded_alice: None) -> None:
    """Jobs cost credits; these tests are about jobs, not buying (tests/billing)."""


INSTANTID = "zsxkib/instant-id:2e4785a4d80dadf580077b2244c8d7c05d8e3faac04a04c02d8e099dd2876789"


@pytest.fixture
def providers(fakes: dict[str, Any], settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Every provider configured, pointing at its fake; the demo profile with InstantID's version."""
    for fake in fakes.values():
        if hasattr(fake, "reset"):
            fake.reset()
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "sk-test", fakes["openai"].url
    settings.REPLICATE_API_TOKEN, settings.REPLICATE_BASE_URL = "r8_test", fakes["replicate"].url
    settings.KLING_ACCESS_KEY, settings.KLING_SECRET_KEY = fakes["kling"].access_key, fakes["kling"].secret_key
    settings.KLING_BASE_URL = fakes["kling"].url
    settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = fakes["anthropic"].api_key, fakes["anthropic"].url
    profile = settings.PROFILE
    replicate = profile.providers.replicate.model_copy(update={"instantid_version": INSTANTID})
    chains = {"free": {**profile.providers.chains["free"], "critique": ["anthropic", "local"]}}
    updated = profile.providers.model_copy(update={"replicate": replicate, "chains": chains})
    settings.PROFILE = profile.model_copy(update={"providers": updated})
    monkeypatch.setattr(chain, "backoff", lambda _attempt, _retry_after: 0.0)  # retry at once in tests
    return fakes
