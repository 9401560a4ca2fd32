"""Fulfilment: what a payment gateway reports, applied exactly once.

These functions take the gateway-neutral facts of ``darkroom.billing.gateways``;
the Stripe webhook, reconciliation and the test gateway all call the very same
ones. Each is idempotent: its ledger postings carry keys (``order:<id>``,
``stripe-event:<id>``), and every change to an order's money or credits happens
under its wallet's lock.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import ledger, plans
from darkroom.billing.gateways import CheckoutResult, PaidInvoice, RefundedCharge, SubscriptionState
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet

log = logging.getLogger(__name__)

# Invoices that open a billing period carry the monthly grant; others (a
# proration after a plan change) are recorded as orders without credits.
GRANTING_INVOICES = ("subscription_create", "subscription_cycle")


# Sent once per change, after the commit that made it: the notifications app connects
# its receipts and subscription notices here (notify.receivers).
order_paid = Signal()  # order=, renewal= (a Pro month after the first)
subscription_changed = Signal()  # subscription=, previous_status=, was_cancelling=


class NotOurs(Exception):
    """A gateway event about something Darkroom did not start (another app on the same account)."""


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _wallet_for_gateway(wallet_ref: str, customer_id: str) -> Wallet:
    """The wallet an event is about: by the reference Darkroom gave the gateway, else by customer."""
    public_id = _parse_uuid(wallet_ref)
    wallet = Wallet.objects.filter(public_id=public_id).first() if public_id else None
    if wallet is None and customer_id:
        wallet = Wallet.objects.filter(gateway_customer_id=customer_id).first()
    if wallet is None:
        raise NotOurs(f"no wallet for reference {wallet_ref!r} or customer {customer_id!r}")
    return wallet


def receipt_email(user: User | None) -> str:
    """The address a receipt is made out to; a phone-only account has none."""
    return (user.email or "") if user else ""


def raise_flag(wallet: Wallet, order: Order | None, reason: str, credits_short: int = 0) -> AccountFlag:
    """Raise a flag for the operator once: a replayed event finds the same flag."""
    flag, created = AccountFlag.objects.get_or_create(
        wallet=wallet, order=order, reason=reason, defaults={"credits_short": credits_short}
    )
    if created:
        log.warning("billing flag on wallet %s: %s", wallet.public_id, reason)
    return flag


def _order_for(result: CheckoutResult) -> Order:
    public_id = _parse_uuid(result.reference)
    order = Order.objects.filter(public_id=public_id, gateway=result.gateway).first() if public_id else None
    if order is None:
        raise NotOurs(f"checkout {result.session_id} names no order of this service")
    return order


def do_fulfil_checkout(result: CheckoutResult) -> Order | None:
    """Grant a paid credit pack exactly once; an unpaid checkout only moves the order to processing.

    Grants only when ``payment_status`` is ``paid``: a checkout completed with
    a delayed method (bank debit) is paid later, or fails, by its own event.
    A subscription checkout grants nothing here: its paid invoice does.
    """
    if result.mode == "subscription":
        return None
    order = _order_for(result)
    with transaction.atomic():
        ledger.lock_wallets(order.wallet_id)
        order.refresh_from_db()
        if result.payment_status != "paid":
            Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(status=Order.Status.PROCESSING)
        elif (result.amount, result.currency) != (order.amount, order.currency):
            raise_flag(
                order.wallet,
                order,
                f"Paid {result.amount} {result.currency} for an order of {order.amount} {order.currency}; "
                "no credits were granted. Check the payment and adjust by hand.",
            )
        else:
            ledger.post(
                order.wallet,
                order.credits,
                kind=LedgerEntry.Kind.PURCHASE,
                key=order.ledger_key,
                reference=order.ledger_key,
                description=order.description,
            )
            paid = (
                Order.objects.filter(pk=order.pk)
                .exclude(status__in=Order.SETTLED)
                .update(
                    status=Order.Status.PAID,
                    paid_at=timezone.now(),
                    gateway_payment_id=result.payment_id,
                    email=result.email or order.email,
                )
            )
            if paid:
                transaction.on_commit(partial(_announce_paid, order.pk, renewal=False))
    order.refresh_from_db()
    return order


def _announce_paid(order_pk: int, *, renewal: bool) -> None:
    order_paid.send(Order, order=Order.objects.select_related("user").get(pk=order_pk), renewal=renewal)


def do_fail_checkout(result: CheckoutResult) -> Order:
    """A delayed payment failed: the order fails, nothing was granted."""
    order = _order_for(result)
    Order.objects.filter(pk=order.pk, status__in=(Order.Status.PENDING, Order.Status.PROCESSING)).update(
        status=Order.Status.FAILED
    )
    order.refresh_from_db()
    return order


def do_expire_checkout(result: CheckoutResult) -> Order:
    """The checkout was abandoned and expired."""
    order = _order_for(result)
    Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(status=Order.Status.EXPIRED)
    order.refresh_from_db()
    return order


def do_sync_subscription(state: SubscriptionState) -> Subscription:
    """Store a subscription as the gateway describes it now (never inferred from event order)."""
    existing = Subscription.objects.filter(gateway=state.gateway, gateway_subscription_id=state.subscription_id).first()
    wallet = existing.wallet if existing else _wallet_for_gateway(state.wallet, state.customer_id)
    with transaction.atomic():
        ledger.lock_wallets(wallet.pk)
        # No lock of its own (update_or_create would take one): the wallet's
        # lock already serialises every change to its subscriptions.
        subscription = Subscription.objects.filter(
            gateway=state.gateway, gateway_subscription_id=state.subscription_id
        ).first() or Subscription(gateway=state.gateway, gateway_subscription_id=state.subscription_id)
        previous = (subscription.status, subscription.cancel_at_period_end)
        subscription.wallet = wallet
        subscription.gateway_customer_id = state.customer_id
        subscription.status = state.status
        subscription.current_period_end = state.current_period_end
        subscription.cancel_at_period_end = state.cancel_at_period_end
        subscription.save()
        if previous != (subscription.status, subscription.cancel_at_period_end):
            transaction.on_commit(
                partial(
                    subscription_changed.send,
                    Subscription,
                    subscription=subscription,
                    previous_status=previous[0],
                    was_cancelling=previous[1],
                )
            )
    return subscription


def do_record_invoice(invoice: PaidInvoice) -> Order:
    """Record a paid Pro invoice as an order and grant the month's credits, once per invoice."""
    plan = plans.pro_plan()
    if plan is None:
        raise NotOurs("this service has no Pro plan")
    if not invoice.subscription_id:
        raise NotOurs(f"invoice {invoice.invoice_id} is not for a subscription")
    subscription = Subscription.objects.filter(
        gateway=invoice.gateway, gateway_subscription_id=invoice.subscription_id
    ).first()
    wallet = subscription.wallet if subscription else _wallet_for_gateway(invoice.wallet, invoice.customer_id)
    credits = plan.monthly_credits if invoice.billing_reason in GRANTING_INVOICES else 0
    with transaction.atomic():
        ledger.lock_wallets(wallet.pk)
        wallet.refresh_from_db()
        order, created = Order.objects.get_or_create(
            gateway=invoice.gateway,
            gateway_invoice_id=invoice.invoice_id,
            defaults={
                "user": wallet.user,
                "wallet": wallet,
                "kind": Order.Kind.PRO,
                "product": "pro",
                "description": f"{plan.name}, one month" + (f" ({credits} credits)" if credits else ""),
                "amount": invoice.amount,
                "currency": invoice.currency,
                "credits": credits,
                "status": Order.Status.PAID,
                "paid_at": timezone.now(),
                "gateway_payment_id": invoice.payment_id,
                "gateway_subscription_id": invoice.subscription_id,
                "email": invoice.email or receipt_email(wallet.user),
            },
        )
        if order.credits:
            ledger.post(
                wallet,
                order.credits,
                kind=LedgerEntry.Kind.SUBSCRIPTION,
                key=order.ledger_key,
                reference=order.ledger_key,
                description=f"{plan.name} monthly credits",
            )
        if created:
            renewal = invoice.billing_reason == "subscription_cycle"
            transaction.on_commit(partial(_announce_paid, order.pk, renewal=renewal))
    return order


def _order_refunded(refund: RefundedCharge) -> Order | None:
    orders = Order.objects.filter(gateway=refund.gateway)
    order = orders.filter(gateway_payment_id=refund.payment_id).first() if refund.payment_id else None
    if order is None and refund.invoice_id:
        order = orders.filter(gateway_invoice_id=refund.invoice_id).first()
    return order


def do_take_back_refund(refund: RefundedCharge) -> int:
    """Take back the credits a refunded payment bought, never below zero; return how many were taken.

    Partial refunds take back their share (rounded in the person's favour).
    Credits already spent cannot be taken: the shortfall is flagged for the
    operator instead. ``amount_refunded`` is the running total the gateway
    reports, so replays and out-of-date events take nothing more.
    """
    order = _order_refunded(refund)
    if order is None:
        wallet = Wallet.objects.filter(gateway_customer_id=refund.customer_id).first() if refund.customer_id else None
        if wallet is None:
            raise NotOurs(f"refund of {refund.payment_id or 'a payment'} matches no order or customer")
        raise_flag(wallet, None, f"A payment ({refund.payment_id}) was refunded that matches no order; check it.")
        return 0
    with transaction.atomic():
        ledger.lock_wallets(order.wallet_id)
        order.refresh_from_db()
        refunded = min(order.amount, max(order.amount_refunded, refund.amount_refunded))
        target = order.credits if refunded >= order.amount else order.credits * refunded // order.amount
        owed = max(0, target - order.credits_reversed)
        taken = min(owed, ledger.wallet_balance(order.wallet_id))
        if taken:
            ledger.post(
                order.wallet,
                -taken,
                kind=LedgerEntry.Kind.REVERSAL,
                key=refund.key,
                reference=order.ledger_key,
                description=f"Payment refunded: {order.description}",
            )
        if owed > taken:
            raise_flag(
                order.wallet,
                order,
                f"Refund of {order.description}: {owed - taken} of {owed} credits were already spent "
                "and could not be taken back.",
                credits_short=owed - taken,
            )
        status = order.status
        if refunded >= order.amount:
            status = Order.Status.REFUNDED
        elif refunded > 0:
            status = Order.Status.PARTIALLY_REFUNDED
        Order.objects.filter(pk=order.pk).update(
            amount_refunded=refunded, credits_reversed=max(target, order.credits_reversed), status=status
        )
    return taken
