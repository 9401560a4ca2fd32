"""The credit ledger: the service functions other apps call.

DESIGN.md invariant 1. A balance is the sum of a wallet's entries; entries are
only ever added; each carries a unique idempotency key, so calling ``credit``,
``debit`` or ``refund`` again with the same key returns the entry already
posted instead of posting twice. A balance never goes below zero: every
posting takes the wallet's row lock (``lock_wallets``, the one place locks are
taken), then reads the balance, then writes. On SQLite, where row locks do not
exist, ``transaction_mode: IMMEDIATE`` serialises writers the same way.

Each function opens its own ``transaction.atomic()``; called inside a caller's
atomic block (a job created and debited together) it becomes a savepoint and
the lock is held until the caller commits.

    entry = ledger.debit(user, 2, key=f"job:{job.pk}:debit", reference=f"job:{job.public_id}",
                         description="Enhance")
    ledger.refund(user, debit_key=f"job:{job.pk}:debit", description="Enhance failed")  # job:<id>:refund
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from darkroom.accounts.models import User
from darkroom.billing.models import LedgerEntry, Wallet


class LedgerError(Exception):
    """A posting that was refused; the message can be shown to the person."""


class InsufficientCredits(LedgerError):
    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(f"Not enough credits: this needs {needed} and the balance is {balance}.")
        self.balance = balance
        self.needed = needed


class KeyConflict(LedgerError):
    """An idempotency key reused for a different posting: a bug in the caller, never retried."""


class NothingToRefund(LedgerError):
    """``refund`` was given a key that names no debit of this person."""


@dataclass(frozen=True)
class StatementLine:
    """One ledger entry as the person sees it, with the balance just after it."""

    created_at: datetime.datetime
    kind: str
    kind_label: str
    description: str
    reference: str
    amount: int
    balance_after: int


def wallet_for(user: User) -> Wallet:
    """The person's wallet, created on first use."""
    wallet, _created = Wallet.objects.get_or_create(user=user)
    return wallet


def lock_wallets(*wallet_ids: int) -> dict[int, Wallet]:
    """Lock wallet rows until the transaction ends, always in primary-key order.

    The only place billing takes row locks: one order for everyone means two
    transactions can never each hold a lock the other waits for.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lock_wallets() must run inside transaction.atomic()")
    rows = Wallet.objects.select_for_update().filter(pk__in=wallet_ids).order_by("pk")
    return {wallet.pk: wallet for wallet in rows}


def wallet_balance(wallet_id: int) -> int:
    """The sum of a wallet's entries (lock the wallet first when about to post)."""
    total = LedgerEntry.objects.filter(wallet_id=wallet_id).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def post(
    wallet: Wallet,
    amount: int,
    *,
    kind: LedgerEntry.Kind,
    key: str,
    reference: str,
    description: str,
    operator: str = "",
) -> LedgerEntry:
    """Add one entry to ``wallet`` exactly once per ``key``; refuse to take it below zero."""
    if amount == 0:
        raise LedgerError("A posting must move at least one credit.")
    if (kind in LedgerEntry.INCOMING and amount < 0) or (kind in LedgerEntry.OUTGOING and amount > 0):
        raise LedgerError(f"A posting of kind {kind!r} cannot move {amount:+d} credits.")
    with transaction.atomic():
        lock_wallets(wallet.pk)
        existing = LedgerEntry.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if (existing.wallet_id, existing.amount, existing.kind) != (wallet.pk, amount, kind):
                raise KeyConflict(f"The key {key!r} was already used for a different posting.")
            return existing
        current = wallet_balance(wallet.pk)
        if amount < 0 and current + amount < 0:
            raise InsufficientCredits(current, -amount)
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    wallet=wallet,
                    amount=amount,
                    kind=kind,
                    idempotency_key=key,
                    reference=reference,
                    description=description,
                    operator=operator,
                )
        except IntegrityError:
            # The same key posted to another wallet meanwhile (this wallet's
            # lock does not cover other wallets): report it as the conflict it is.
            raise KeyConflict(f"The key {key!r} was already used for a different posting.") from None


def balance(user: User) -> int:
    """The person's credits now."""
    wallet = Wallet.objects.filter(user=user).first()
    return 0 if wallet is None else wallet_balance(wallet.pk)


def credit(
    user: User,
    amount: int,
    *,
    key: str,
    reference: str,
    description: str,
    kind: LedgerEntry.Kind = LedgerEntry.Kind.PURCHASE,
) -> LedgerEntry:
    """Add ``amount`` credits once per ``key``."""
    if amount <= 0:
        raise LedgerError("A credit must be at least one credit.")
    if kind not in (LedgerEntry.Kind.PURCHASE, LedgerEntry.Kind.SUBSCRIPTION):
        raise LedgerError(f"A credit cannot be of kind {kind!r}.")
    return post(wallet_for(user), amount, kind=kind, key=key, reference=reference, description=description)


def debit(user: User, amount: int, *, key: str, reference: str, description: str) -> LedgerEntry:
    """Take ``amount`` credits once per ``key``; raise InsufficientCredits rather than go below zero."""
    if amount <= 0:
        raise LedgerError("A debit must be at least one credit.")
    return post(
        wallet_for(user), -amount, kind=LedgerEntry.Kind.DEBIT, key=key, reference=reference, description=description
    )


def refund_key(debit_key: str) -> str:
    """The one key a debit's refund posts under: ``job:7:debit`` → ``job:7:refund``."""
    return debit_key.removesuffix(":debit") + ":refund"


def refund(user: User, *, debit_key: str, description: str) -> LedgerEntry:
    """Give back exactly what the debit ``debit_key`` took, at most once (``refund_key``)."""
    taken = LedgerEntry.objects.filter(
        idempotency_key=debit_key, kind=LedgerEntry.Kind.DEBIT, wallet__user=user
    ).first()
    if taken is None:
        raise NothingToRefund(f"No debit {debit_key!r} of this account to refund.")
    return post(
        taken.wallet,
        -taken.amount,
        kind=LedgerEntry.Kind.REFUND,
        key=refund_key(debit_key),
        reference=taken.reference,
        description=description,
    )


def statement(user: User) -> list[StatementLine]:
    """Every entry of the person's wallet, newest first, with the running balance."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        return []
    lines: list[StatementLine] = []
    running = 0
    for entry in LedgerEntry.objects.filter(wallet=wallet).order_by("id"):
        running += entry.amount
        lines.append(
            StatementLine(
                created_at=entry.created_at,
                kind=entry.kind,
                kind_label=entry.get_kind_display(),
                description=entry.description,
                reference=entry.reference,
                amount=entry.amount,
                balance_after=running,
            )
        )
    lines.reverse()
    return lines
