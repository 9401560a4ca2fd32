"""Every third party that received one person's data: the processor record (issue #8 item 5).

Two sources, neither a list kept by hand. The studio's processor log
(``privacy.Transfer``: one row each time a photo or prompt went to an AI
provider) says exactly who received what and when. The rest (Stripe, the
SMS and email vendors, storage, database, queue, hosting) comes from
``policy_parties.third_parties``, the same reading of the configuration the
policy page uses, kept to the parties this person's data reaches: the SMS
vendor only for someone with a phone number, Stripe only for someone who
went to its checkout.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Min

from darkroom.accounts.models import User
from darkroom.privacy.models import Transfer


@dataclass(frozen=True)
class Processor:
    """One third party, what it received of the person's, and, where a log says, how often and when."""

    name: str
    purpose: str
    data: tuple[str, ...]
    source: str
    times: int | None = None  # None: not logged one by one (each email, each page request)
    first_at: datetime.datetime | None = None
    last_at: datetime.datetime | None = None
    photos: int = 0
    their_retention: str = ""


def processor_record(user: User) -> list[Processor]:
    """The third parties that received ``user``'s data: those with a log of each transfer first."""
    return _logged(user) + _configured(user)


def _logged(user: User) -> list[Processor]:
    transfers = Transfer.objects.filter(owner=user)
    rows = (
        transfers.values("provider")
        .annotate(times=Count("id"), photos=Count("photo", distinct=True), first=Min("sent_at"), last=Max("sent_at"))
        .order_by("provider")
    )
    record = []
    for row in rows:
        sent = transfers.filter(provider=row["provider"])
        kinds = sorted({item for data in sent.values_list("data", flat=True).iterator() for item in data})
        retention = sent.exclude(provider_retention="").values_list("provider_retention", flat=True).first()
        record.append(
            Processor(
                name=row["provider"],
                purpose="AI processing of jobs you started",
                data=tuple(kinds),
                source="processor log (privacy.Transfer): one entry per request",
                times=row["times"],
                first_at=row["first"],
                last_at=row["last"],
                photos=row["photos"],
                their_retention=retention or "",
            )
        )
    return record


def _configured(user: User) -> list[Processor]:
    from allauth.socialaccount.models import SocialAccount

    from darkroom.billing.models import Order, Wallet
    from darkroom.privacy.policy_parties import third_parties

    ai_features = set(settings.PROFILE.features.model_dump())
    # Which configured parties this person's data reaches; storage, database, queue and hosting carry everyone's.
    reaches: dict[str, Callable[[], bool]] = {
        "payments": lambda: (
            Order.objects.filter(user=user, gateway="stripe").exists()
            or Wallet.objects.filter(user=user).exclude(gateway_customer_id="").exists()
        ),
        "sms": lambda: bool(user.phone),
        "email": lambda: bool(user.email),
        "sign-in": lambda: SocialAccount.objects.filter(user=user).exists(),
    }
    record = []
    for party in third_parties(settings.PROFILE):
        features = [use.feature for use in party.uses if use.feature not in ai_features]
        if not features:
            continue  # an AI provider: the processor log above says whether this person's data went there
        if not any(reaches.get(feature, _everyone)() for feature in features):
            continue
        record.append(
            Processor(
                name=party.name,
                purpose=", ".join(dict.fromkeys(features)),
                data=party.receives,
                source="this service's configuration (the same facts as the privacy policy page)",
                their_retention=party.their_retention,
            )
        )
    return record


def _everyone() -> bool:
    return True
