"""Prices and tiers, read from the profile (``[billing]``), and who is on Pro.

Other apps ask here what a job costs (``job_price``) and whether a person may
use a feature (``can_use``); the numbers live in the profile only.
"""

from __future__ import annotations

from django.conf import settings

from darkroom.accounts.models import User
from darkroom.billing.models import Subscription
from darkroom.profile import Billing, CreditPack, ProPlan, Tier


def billing() -> Billing:
    profile_billing: Billing = settings.PROFILE.billing
    return profile_billing


def packs() -> list[CreditPack]:
    return list(billing().packs)


def pack(code: str) -> CreditPack | None:
    """The credit pack with this code, or None."""
    return next((candidate for candidate in billing().packs if candidate.code == code), None)


def pro_plan() -> ProPlan | None:
    """The Pro plan, or None when the service sells credit packs only."""
    return billing().pro


def active_subscription(user: User) -> Subscription | None:
    """The person's subscription that gives Pro now, if any."""
    return (
        Subscription.objects.filter(wallet__user=user, status__in=Subscription.GIVES_PRO)
        .order_by("-current_period_end", "-id")
        .first()
    )


def tier_of(user: User) -> Tier:
    """``pro`` while a Pro subscription is active (and the profile has Pro), else ``free``."""
    if pro_plan() is not None and active_subscription(user) is not None:
        return "pro"
    return "free"


def can_use(user: User, feature: str) -> bool:
    """False for a Pro-only feature (``billing.pro.pro_only_features``) when the person is not on Pro."""
    plan = pro_plan()
    if plan is not None and feature in plan.pro_only_features:
        return tier_of(user) == "pro"
    return True


def job_price(user: User, kind: str) -> int:
    """Credits a job of ``kind`` costs this person, from their tier's column of ``billing.job_credits``."""
    prices = {str(name): cost for name, cost in billing().job_credits[tier_of(user)].items()}
    if kind not in prices:
        raise KeyError(f"the profile sets no price for {kind!r} jobs")
    return prices[kind]
