"""The studio's tests run jobs, and jobs cost credits."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _alice_has_credits(funded_alice: None) -> None:
    """Jobs cost credits; these tests are about jobs, not buying (tests/billing)."""
