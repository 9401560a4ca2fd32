"""Credits and payments: wallets, the append-only ledger, orders, subscriptions, gateway events."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AppendOnly(Exception):
    """Ledger entries are never changed or deleted (DESIGN.md invariant 1); post a new entry instead."""


def years_later(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def order_retain_until() -> datetime.date:
    """How long an order is kept: the profile's ``orders_years`` (tax law), from the day it is made."""
    return years_later(timezone.now().date(), settings.PROFILE.privacy.retention.orders_years)


class Wallet(models.Model):
    """One person's credit account; its balance is the sum of its ledger entries.

    The row exists to be locked: every posting takes this row's lock first
    (``ledger.lock_wallets``), which is what makes a balance impossible to
    overdraw under concurrency. When the account is erased the user link is
    removed and the entries stay, pseudonymous, with the orders they explain.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="wallet"
    )
    gateway_customer_id = models.CharField(
        max_length=255, blank=True, help_text="The payment gateway's customer (Stripe: cus_…)."
    )
    pseudonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["gateway_customer_id"],
                condition=~Q(gateway_customer_id=""),
                name="wallet_unique_customer",
            )
        ]

    def __str__(self) -> str:
        return f"wallet of {self.user or 'an erased account'}"


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    """Refuses bulk changes: the ledger only grows."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("ledger entries cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnly("ledger entries cannot be deleted")


class LedgerEntry(models.Model):
    """One posting to a wallet: credits in (positive) or out (negative).

    Append-only, hence no ``updated_at``. ``idempotency_key`` is unique, so
    the same purchase, job or webhook can never post twice: ``order:<id>``,
    ``job:<id>:debit``, ``job:<id>:refund``, ``stripe-event:<id>``,
    ``adjustment:<id>``, ``carry:<wallet id>:<entry id>``.
    """

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Credit pack"
        SUBSCRIPTION = "subscription", "Pro monthly credits"
        DEBIT = "debit", "Job"
        REFUND = "refund", "Job refunded"
        REVERSAL = "reversal", "Payment refunded"
        ADJUSTMENT = "adjustment", "Adjustment"
        # Entries past the profile's orders_years, replaced by their sum (billing.records).
        CARRIED = "carried", "Balance carried forward"

    INCOMING = (Kind.PURCHASE, Kind.SUBSCRIPTION, Kind.REFUND, Kind.CARRIED)
    OUTGOING = (Kind.DEBIT, Kind.REVERSAL)

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(help_text="Credits: positive adds, negative takes.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=200, blank=True, help_text="What it was for: order:<id>, job:<id>.")
    description = models.CharField(max_length=300, help_text="Shown on the statement.")
    operator = models.CharField(max_length=254, blank=True, help_text="Who made a manual adjustment.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["wallet", "id"], name="ledger_wallet_idx")]
        constraints = [
            # The sign follows the kind, in the database itself.
            models.CheckConstraint(
                condition=(Q(kind__in=["purchase", "subscription", "refund", "carried"], amount__gt=0))
                | Q(kind__in=["debit", "reversal"], amount__lt=0)
                | (Q(kind="adjustment") & ~Q(amount=0)),
                name="ledger_amount_sign",
            ),
            models.CheckConstraint(
                condition=Q(kind="adjustment", operator__gt="") | ~Q(kind="adjustment"),
                name="ledger_adjustment_has_operator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.get_kind_display()} ({self.idempotency_key})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("ledger entries cannot be changed; post a correcting entry")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("ledger entries cannot be deleted; post a correcting entry")


class Order(models.Model):
    """A payment: a credit pack bought once, or one paid invoice of the Pro plan.

    Kept for the profile's ``orders_years`` (``retain_until``). Erasing the
    account pseudonymises it: the user link and the contact go, amounts and
    gateway ids stay, as tax law requires.
    """

    class Kind(models.TextChoices):
        PACK = "pack", "Credit pack"
        PRO = "pro", "Pro subscription"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for checkout"
        PROCESSING = "processing", "Payment processing"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        CANCELED = "canceled", "Canceled"
        EXPIRED = "expired", "Checkout expired"
        PARTIALLY_REFUNDED = "partially_refunded", "Partly refunded"
        REFUNDED = "refunded", "Refunded"

    # Once paid, only refunds change an order; a late "expired" must not undo a payment.
    SETTLED = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    product = models.CharField(max_length=40, help_text="The profile's pack code, or 'pro'.")
    description = models.CharField(max_length=200)
    amount = models.PositiveBigIntegerField(help_text="In the currency's smallest unit (cents).")
    currency = models.CharField(max_length=3)
    credits = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    gateway = models.CharField(max_length=20)
    gateway_session_id = models.CharField(max_length=255, blank=True)
    gateway_payment_id = models.CharField(max_length=255, blank=True, db_index=True)
    gateway_invoice_id = models.CharField(max_length=255, blank=True)
    gateway_subscription_id = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True, help_text="Who the receipt is made out to.")
    amount_refunded = models.PositiveBigIntegerField(default=0)
    credits_reversed = models.PositiveIntegerField(
        default=0, help_text="Credits the refunds so far account for (taken back, or flagged when spent)."
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    retain_until = models.DateField(default=order_retain_until)
    pseudonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="order_user_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_session_id"],
                condition=~Q(gateway_session_id=""),
                name="order_unique_session",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_invoice_id"],
                condition=~Q(gateway_invoice_id=""),
                name="order_unique_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.get_status_display()})"

    @property
    def ledger_key(self) -> str:
        return f"order:{self.public_id}"

    @property
    def has_receipt(self) -> bool:
        return self.status in self.SETTLED


class Subscription(models.Model):
    """A Pro subscription as the gateway last described it.

    Never derived from the order in which events arrived: each event makes
    Darkroom re-fetch the subscription and store what the gateway says now.
    """

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
        TRIALING = "trialing", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment overdue"
        CANCELED = "canceled", "Canceled"
        UNPAID = "unpaid", "Unpaid"
        PAUSED = "paused", "Paused"

    # Only these give the Pro tier; past_due does not (the payment failed).
    GIVES_PRO = (Status.ACTIVE, Status.TRIALING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="subscriptions")
    gateway = models.CharField(max_length=20)
    gateway_subscription_id = models.CharField(max_length=255)
    gateway_customer_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "gateway_subscription_id"], name="subscription_unique_id")
        ]

    def __str__(self) -> str:
        return f"{self.gateway_subscription_id} ({self.status})"

    @property
    def gives_pro(self) -> bool:
        return self.status in self.GIVES_PRO


class WebhookEvent(models.Model):
    """A gateway notification, stored once (unique id) before it has any effect.

    The webhook answers as soon as this row is committed; a queue task then
    processes it. Processing is idempotent (ledger keys), so a retry, a replay
    or reconciliation finding it again changes nothing.
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILE = "reconcile", "Reconciliation"

    gateway = models.CharField(max_length=20, default="stripe")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_unique_id")]
        indexes = [models.Index(fields=["processed_at", "created_at"], name="webhook_event_pending_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class AccountFlag(models.Model):
    """Something about a wallet an operator must look at, such as a refund of credits already spent."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="flags")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags")
    reason = models.TextField()
    credits_short = models.PositiveIntegerField(default=0, help_text="Credits that could not be taken back.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"flag on {self.wallet}: {self.reason[:60]}"
