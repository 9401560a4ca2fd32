"""Transaction records at the end of their legal period (the privacy retention sweep calls these).

Orders, ledger entries, ended subscriptions and settled flags are kept for the
profile's ``orders_years`` (selfie-studio §4 "retained for at least 5 years per
tax and regulatory requirements"; photo-coach §6 "may be retained for up to 7
years"), counted like an order's ``retain_until`` from the day each was made.
After that:

- an order is deleted;
- on a live wallet, the entries older than the period are replaced by one
  ``carried`` entry holding their sum, in one transaction under the wallet's
  lock: the balance (the sum of the entries) does not move, and since every
  prefix of a ledger sums to zero or more, the carried entry is never negative;
- on an erased (pseudonymised) wallet they are simply deleted: nobody can spend
  them, and only amounts are left; a wallet left with nothing is deleted too.

The ledger is otherwise append-only (``LedgerEntryQuerySet`` refuses deletes);
this module is the one place that removes entries, and only a whole prefix.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q, QuerySet, Sum

from darkroom.billing.ledger import lock_wallets
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet, years_later

log = logging.getLogger(__name__)

# A subscription in one of these states will never bill again: only its record is left.
ENDED_SUBSCRIPTIONS = (Subscription.Status.CANCELED, Subscription.Status.INCOMPLETE_EXPIRED)


def records_cutoff(now: datetime.datetime) -> datetime.datetime:
    """The start of the first day still inside the period: records made before it are past it."""
    first_kept = years_later(now.date(), -settings.PROFILE.privacy.retention.orders_years)
    return datetime.datetime.combine(first_kept, datetime.time.min, tzinfo=datetime.UTC)


def expired_orders(today: datetime.date) -> QuerySet[Order]:
    """Orders whose ``retain_until`` has passed (it is the last day they are kept)."""
    return Order.objects.filter(retain_until__lt=today)


def old_entries(cutoff: datetime.datetime) -> QuerySet[LedgerEntry]:
    """Entries made before ``cutoff``, less the carried ones (a sum, not a record of anything)."""
    return LedgerEntry.objects.filter(created_at__lt=cutoff).exclude(kind=LedgerEntry.Kind.CARRIED)


def wallets_with_old_entries(cutoff: datetime.datetime) -> QuerySet[LedgerEntry, int]:
    """The ids of wallets with an entry made before ``cutoff``, once each, in order."""
    return (
        LedgerEntry.objects.filter(created_at__lt=cutoff)
        .order_by("wallet_id")
        .values_list("wallet_id", flat=True)
        .distinct()
    )


def compact_wallet(wallet_id: int, cutoff: datetime.datetime) -> int:
    """Remove the wallet's entries made before ``cutoff``; return how many (carried entries not counted).

    The entries removed are the prefix up to the newest one made before
    ``cutoff``. On a live wallet their sum comes back as one ``carried`` entry
    with that newest entry's id and time, so the statement, ordered by id,
    still shows the right balance after every line, and its key
    (``carry:<wallet>:<entry id>``) is new each time. A live wallet whose only
    old entry is already its carried sum is left alone: a second run changes
    nothing.
    """
    with transaction.atomic():
        wallet = lock_wallets(wallet_id).get(wallet_id)
        newest_old = (
            LedgerEntry.objects.filter(wallet_id=wallet_id, created_at__lt=cutoff)
            .order_by("-id")
            .values_list("id", "created_at")
            .first()
        )
        if wallet is None or newest_old is None:
            return 0
        last_id, last_created_at = newest_old
        prefix = LedgerEntry.objects.filter(wallet_id=wallet_id, id__lte=last_id)
        summary = prefix.aggregate(
            entries=Count("id"), total=Sum("amount"), carried=Count("id", filter=Q(kind=LedgerEntry.Kind.CARRIED))
        )
        entries, total, carried = summary["entries"], int(summary["total"] or 0), summary["carried"]
        live = wallet.user_id is not None
        if live and entries == carried == 1:
            return 0
        if live and total < 0:
            # Impossible through ledger.post (it refuses to go below zero); a row written
            # around it must be looked at by a person, not folded into a negative sum.
            log.warning("billing records: wallet %s has a negative balance before the cutoff; not compacted", wallet_id)
            return 0
        # The base class's delete: LedgerEntryQuerySet refuses deletes everywhere else.
        models.QuerySet.delete(prefix)
        if live and total > 0:
            LedgerEntry.objects.create(
                pk=last_id,
                wallet_id=wallet_id,
                amount=total,
                kind=LedgerEntry.Kind.CARRIED,
                idempotency_key=f"carry:{wallet_id}:{last_id}",
                reference="",
                description=f"Balance carried forward from before {cutoff:%-d %B %Y}",
                created_at=last_created_at,
            )
    return int(entries - carried)


def ended_subscriptions(cutoff: datetime.datetime) -> QuerySet[Subscription]:
    """Subscriptions that ended, last changed before ``cutoff``."""
    return Subscription.objects.filter(status__in=ENDED_SUBSCRIPTIONS, updated_at__lt=cutoff)


def settled_flags(cutoff: datetime.datetime) -> QuerySet[AccountFlag]:
    """Flags an operator settled before ``cutoff``; open ones wait for the operator, however old."""
    return AccountFlag.objects.filter(resolved_at__lt=cutoff)


def empty_erased_wallets() -> QuerySet[Wallet]:
    """Wallets of erased accounts with no entry, order, subscription or flag left."""
    return Wallet.objects.filter(
        user__isnull=True,
        pseudonymised_at__isnull=False,
        entries__isnull=True,
        orders__isnull=True,
        subscriptions__isnull=True,
        flags__isnull=True,
    )
