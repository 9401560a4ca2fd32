"""Prices from the profile: packs, job prices per tier, Pro and what it unlocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from darkroom import profile
from darkroom.accounts.models import User
from darkroom.billing import ledger, plans
from darkroom.billing.models import Subscription

pytestmark = pytest.mark.django_db


def _pro(user: User, status: str = "active") -> Subscription:
    return Subscription.objects.create(
        wallet=ledger.wallet_for(user), gateway="test", gateway_subscription_id="sub_1", status=status
    )


def test_the_shipped_profiles_price_what_they_offer() -> None:
    selfie, coach, demo = (profile.load(name).billing for name in ("selfie-studio", "photo-coach", "demo"))
    assert selfie.pro is None
    assert coach.pro is not None
    assert demo.pro is not None
    assert set(selfie.job_credits) == {"free"}
    assert set(coach.job_credits) == {"free", "pro"}
    assert all(pack.currency == "usd" and pack.price > 0 for pack in selfie.packs + coach.packs)
    assert coach.pro.price == 999
    assert coach.pro.monthly_credits == 100


def test_a_job_costs_what_the_persons_tier_says(alice: User) -> None:
    assert plans.tier_of(alice) == "free"
    assert plans.job_price(alice, "animate") == 10
    _pro(alice)
    assert plans.tier_of(alice) == "pro"
    assert plans.job_price(alice, "animate") == 8
    with pytest.raises(KeyError, match="no price for 'teleport'"):
        plans.job_price(alice, "teleport")


def test_pro_only_features_need_pro(alice: User) -> None:
    assert plans.can_use(alice, "enhance")
    assert not plans.can_use(alice, "restore_faces")
    subscription = _pro(alice, status="past_due")
    assert not plans.can_use(alice, "restore_faces")  # the payment failed: no Pro
    Subscription.objects.filter(pk=subscription.pk).update(status="trialing")
    assert plans.can_use(alice, "restore_faces")


def test_without_a_pro_plan_nobody_is_pro(alice: User, settings: Any) -> None:
    _pro(alice)
    settings.PROFILE = profile.load("selfie-studio")
    assert plans.tier_of(alice) == "free"
    assert plans.can_use(alice, "generate")
    assert plans.pack("max") is not None
    assert plans.pack("starter") is None


def _profile_with(tmp_path: Path, edit: Any) -> Path:
    source = (profile.PROFILES_DIR / "demo.toml").read_text()
    path = tmp_path / "custom.toml"
    path.write_text(edit(source))
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace('code = "studio"', 'code = "starter"'), "every pack needs its own code"),
        (lambda s: s[: s.index("# Optional: without [billing.pro]")], r"exactly the tiers \['free'\]"),
        (
            lambda s: s.replace(
                "enhance = 1\ncritique = 1\ngenerate = 2\nanimate = 10",
                "enhance = -1\ncritique = 1\ngenerate = 2\nanimate = 10",
            ),
            "cannot cost less than 0",
        ),
        (
            lambda s: s.replace("animate = 10\n", ""),
            r"billing.job_credits.free: no price for offered feature\(s\) animate",
        ),
        (lambda s: s.replace('currency = "usd"', 'currency = "US$"', 1), r"billing.packs.0.currency"),
        (lambda s: s[: s.index("# Prices.")], "billing: this key is required"),
    ],
)
def test_it_refuses_a_billing_table_that_does_not_add_up(tmp_path: Path, edit: Any, message: str) -> None:
    with pytest.raises(profile.ProfileError, match=message):
        profile.load(str(_profile_with(tmp_path, edit)))
