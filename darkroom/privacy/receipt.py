"""The deletion receipt: what was (or will be) deleted, by category and count; what is kept, and until when.

issue #8: "The user gets a deletion receipt (what was deleted, by category and
count; what is kept and until when) before the contact details go." A
``Receipt`` is plain data, read from a ``privacy.Erasure`` row (its counts
are written in the same transactions as the deletions they count), shown on
the receipt page and emailed by ``notify.deletion.send_deletion_receipt``.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_date

from darkroom.privacy.erasure_walk import NAMES, category_of, name_of
from darkroom.privacy.inventory import INVENTORY, Category
from darkroom.privacy.models import Erasure

# The order the receipt lists categories in: what people care about first.
CATEGORY_ORDER = (Category.CONTENT, Category.USAGE, Category.ACCOUNT, Category.CONTACT, Category.SECURITY)
CATEGORY_NAMES = {
    Category.CONTENT: "Photos and results",
    Category.USAGE: "What you did",
    Category.ACCOUNT: "Your account",
    Category.CONTACT: "Contact details",
    Category.SECURITY: "Sign-in and security",
}


@dataclass(frozen=True)
class Line:
    """One kind of record deleted, and how many."""

    label: str  # the inventory's model label, or "storage"
    what: str
    category: str
    count: int


@dataclass(frozen=True)
class Kept:
    """One kind of record kept after the deletion, pseudonymised: how many, and the last day it is kept."""

    label: str
    what: str
    count: int
    until: datetime.date | None  # None: until an operator settles it (an open refund note)


@dataclass(frozen=True)
class Elsewhere:
    """A third party that received some of the person's data, and what it says it keeps."""

    name: str
    their_retention: str


@dataclass(frozen=True)
class Receipt:
    reference: str  # the erasure's public id: the only identifier on the receipt
    service: str
    state: str  # Erasure.State
    requested_at: datetime.datetime
    deadline: datetime.datetime
    completed_at: datetime.datetime | None
    deleted: tuple[Line, ...]
    kept: tuple[Kept, ...]
    elsewhere: tuple[Elsewhere, ...]

    @property
    def completed(self) -> bool:
        return self.state == Erasure.State.COMPLETED

    @property
    def by_category(self) -> list[tuple[str, list[Line]]]:
        """The deleted lines grouped under their category's heading, in ``CATEGORY_ORDER``."""
        groups = []
        for category in CATEGORY_ORDER:
            lines = [line for line in self.deleted if line.category == category]
            if lines:
                groups.append((CATEGORY_NAMES[category], lines))
        return groups

    @property
    def total(self) -> int:
        return sum(line.count for line in self.deleted)

    def counts(self) -> dict[str, int]:
        """Deleted records by label: what tests compare with the database and the storage."""
        return {line.label: line.count for line in self.deleted}

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _order(label: str) -> tuple[int, int]:
    category = CATEGORY_ORDER.index(category_of(label))
    known = [*NAMES, *INVENTORY]
    return category, known.index(label) if label in known else len(known)


def lines_of(counts: dict[str, int]) -> tuple[Line, ...]:
    """Counts by label as receipt lines, zero counts left out, in category order."""
    return tuple(
        Line(label, name_of(label), category_of(label).value, count)
        for label, count in sorted(counts.items(), key=lambda item: _order(item[0]))
        if count
    )


def kept_of(rows: list[dict[str, Any]]) -> tuple[Kept, ...]:
    """The ``kept`` JSON of an erasure (or of its plan) as receipt lines."""
    return tuple(
        Kept(
            row["label"],
            name_of(row["label"]),
            int(row["count"]),
            parse_date(row["until"]) if row.get("until") else None,
        )
        for row in rows
        if row["count"]
    )


def receipt_of(erasure: Erasure, *, pending: dict[str, int] | None = None) -> Receipt:
    """The receipt of one erasure: once completed, what was deleted; before, what the plan says will be.

    ``pending`` adds the rows of the one step still to come (the account row
    itself), for the receipt that is emailed just before that step.
    """
    if erasure.state == Erasure.State.COMPLETED or pending is not None:
        counts = dict(erasure.deleted)
        for label, count in (pending or {}).items():
            counts[label] = counts.get(label, 0) + count
        kept_rows = erasure.kept if erasure.kept is not None else erasure.planned.get("kept", [])
        state = str(Erasure.State.COMPLETED)
    else:
        counts, kept_rows = erasure.planned.get("deleted", {}), erasure.planned.get("kept", [])
        state = erasure.state
    elsewhere = erasure.processors if erasure.processors is not None else erasure.planned.get("elsewhere", [])
    return Receipt(
        reference=str(erasure.public_id),
        service=settings.PROFILE.brand.name,
        state=state,
        requested_at=erasure.requested_at,
        deadline=erasure.deadline,
        completed_at=erasure.completed_at,
        deleted=lines_of(counts),
        kept=kept_of(kept_rows),
        elsewhere=tuple(Elsewhere(row["name"], row["their_retention"]) for row in elsewhere),
    )


def receipt_url(receipt: Receipt) -> str:
    """The receipt's page, absolute when the profile names the website (as the emails need)."""
    path = reverse("privacy:deletion_receipt", args=[receipt.reference])
    return settings.PROFILE.operator.website.rstrip("/") + path
