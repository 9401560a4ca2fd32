"""The privacy centre: what Darkroom holds about one person, where it went, and when each part goes.

Everything on it is read, not written down: the holdings from the inventory
walk that erasure uses (``erasure_walk.holdings``), the periods from the
profile through the policy's own table (``policy_retention``), the third
parties from the processor record (``processors``). So the page cannot say
something the deletion, the export or the policy page would contradict.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min

from darkroom.accounts.models import User
from darkroom.photos.models import Photo
from darkroom.privacy.erasure_walk import holdings, name_of
from darkroom.privacy.inventory import INVENTORY, Category, Personal
from darkroom.privacy.policy_data import period_key
from darkroom.privacy.policy_retention import retention_periods
from darkroom.privacy.processors import Processor, processor_record

CATEGORY_NAMES = {
    Category.ACCOUNT: "Your account",
    Category.CONTACT: "How to reach you",
    Category.CONTENT: "Your photos and what was made from them",
    Category.USAGE: "What you did: jobs, credits, orders, usage",
    Category.SECURITY: "Sign-ins and devices",
}


@dataclass(frozen=True)
class Held:
    """One kind of record, how many of this person's the service holds, and how long each is kept."""

    what: str
    count: int
    kept: str


@dataclass(frozen=True)
class Group:
    name: str
    records: tuple[Held, ...]


@dataclass(frozen=True)
class Centre:
    groups: tuple[Group, ...]
    processors: tuple[Processor, ...]
    next_photo_deletion: str
    usage_opt_out: bool
    deletion_days: int


def _kept_words(label: str) -> str:
    personal = [entry for entry in INVENTORY[label].values() if isinstance(entry, Personal)]
    periods = {period.key: period for period in retention_periods(settings.PROFILE)}
    period = periods.get(period_key(personal[0].retention)) if personal else None
    return period.words if period is not None else personal[0].retention.value


def held_by(user: User) -> tuple[Group, ...]:
    """The person's records by category, with counts; kinds of which they have none are left out."""
    by_category: dict[Category, list[Held]] = {}
    for holding in holdings():
        if holding.label == "photos.Photo":
            photos = Photo.objects.filter(owner=user)
            rows = [
                Held("photos you uploaded", photos.filter(kind=Photo.Kind.UPLOAD).count(), _photo_words("upload")),
                Held("results made for you", photos.filter(kind=Photo.Kind.RESULT).count(), _photo_words("result")),
            ]
        else:
            rows = [Held(name_of(holding.label), holding.rows(user.pk).count(), _kept_words(holding.label))]
        by_category.setdefault(holding.category, []).extend(held for held in rows if held.count)
    return tuple(
        Group(CATEGORY_NAMES.get(category, category.value.title()), tuple(records))
        for category, records in by_category.items()
        if records
    )


def _photo_words(kind: str) -> str:
    periods = {period.key: period for period in retention_periods(settings.PROFILE)}
    return periods["uploads" if kind == "upload" else "results"].words


def next_photo_deletion(user: User) -> str:
    """When the retention rule next deletes one of the person's photos, in words (one query per kind)."""
    retention = settings.PROFILE.privacy.retention
    photos = Photo.objects.filter(owner=user)
    due = []
    if retention.uploads_days_after_generation:
        used = photos.filter(kind=Photo.Kind.UPLOAD).aggregate(first=Min("last_generation_at"))["first"]
        if used is not None:
            due.append(used + datetime.timedelta(days=retention.uploads_days_after_generation))
    if retention.results_days:
        made = photos.filter(kind=Photo.Kind.RESULT).aggregate(first=Min("created_at"))["first"]
        if made is not None:
            due.append(made + datetime.timedelta(days=retention.results_days))
    if not due:
        return "None of your photos is due to be deleted automatically: they are kept until you delete them."
    return f"The next of your photos to be deleted automatically goes on {min(due):%-d %B %Y}."


def centre_of(user: User) -> Centre:
    return Centre(
        groups=held_by(user),
        processors=tuple(processor_record(user)),
        next_photo_deletion=next_photo_deletion(user),
        usage_opt_out=user.usage_opt_out,
        deletion_days=settings.PROFILE.privacy.retention.account_deletion_days,
    )
