"""State changes people and operators start: checkouts, the portal, adjustments, erasure.

What a gateway reports back (a payment, a subscription, a refund) is applied by
``darkroom.billing.fulfilment``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.billing import gateways, ledger, plans, records
from darkroom.billing.fulfilment import do_fulfil_checkout, do_sync_subscription, receipt_email
from darkroom.billing.gateways import CheckoutRequest, GatewayError
from darkroom.billing.models import AccountFlag, LedgerEntry, Order, Subscription, Wallet

log = logging.getLogger(__name__)


class CheckoutRefused(Exception):
    """A checkout or portal that cannot start; the message is for the person, ``status`` for HTTP."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- starting a checkout ----------------------------------------------------
def _customer(gateway: gateways.Gateway, wallet: Wallet, email: str) -> str:
    """The gateway's customer for the wallet, created and stored once."""
    customer_id = gateway.ensure_customer(str(wallet.public_id), wallet.gateway_customer_id, email)
    if customer_id and customer_id != wallet.gateway_customer_id:
        # Two checkouts at once may each create a customer; the first one stored wins.
        Wallet.objects.filter(pk=wallet.pk, gateway_customer_id="").update(gateway_customer_id=customer_id)
        wallet.refresh_from_db(fields=["gateway_customer_id"])
    return wallet.gateway_customer_id


def do_start_pack_checkout(user: User, code: str, *, success_url: str, cancel_url: str) -> str:
    """Create a pending order for a credit pack and open its checkout; return where to send the person."""
    pack = plans.pack(code)
    if pack is None:
        raise CheckoutRefused("There is no such credit pack.", status=404)
    gateway = gateways.current()
    wallet = ledger.wallet_for(user)
    try:
        customer_id = _customer(gateway, wallet, receipt_email(user))
    except GatewayError as exc:
        log.warning("checkout: cannot create the customer: %s", exc)
        raise CheckoutRefused("The payment service is unavailable; please try again in a minute.", 503) from exc
    order = Order.objects.create(
        user=user,
        wallet=wallet,
        kind=Order.Kind.PACK,
        product=pack.code,
        description=f"{pack.name} ({pack.credits} credits)",
        amount=pack.price,
        currency=pack.currency,
        credits=pack.credits,
        gateway=gateway.name,
        email=receipt_email(user),
    )
    request = CheckoutRequest(
        mode="payment",
        reference=str(order.public_id),
        wallet=str(wallet.public_id),
        customer_id=customer_id,
        email=receipt_email(user),
        item=order.description,
        amount=order.amount,
        currency=order.currency,
        success_url=f"{success_url}?order={order.public_id}",
        cancel_url=f"{cancel_url}?order={order.public_id}",
    )
    try:
        session = gateway.start_checkout(request)
    except GatewayError as exc:
        log.warning("checkout for order %s failed to start: %s", order.public_id, exc)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
        raise CheckoutRefused("The payment service is unavailable; please try again in a minute.", 503) from exc
    Order.objects.filter(pk=order.pk).update(gateway_session_id=session.session_id)
    return session.url


def do_start_pro_checkout(user: User, *, success_url: str, cancel_url: str) -> str:
    """Open a subscription checkout for the Pro plan; orders come from its paid invoices."""
    plan = plans.pro_plan()
    if plan is None:
        raise CheckoutRefused("This service has no Pro plan.", status=404)
    if plans.active_subscription(user) is not None:
        raise CheckoutRefused("You already have Pro. Manage it from the billing page.", status=409)
    gateway = gateways.current()
    wallet = ledger.wallet_for(user)
    try:
        customer_id = _customer(gateway, wallet, receipt_email(user))
        session = gateway.start_checkout(
            CheckoutRequest(
                mode="subscription",
                reference=f"pro:{wallet.public_id}",
                wallet=str(wallet.public_id),
                customer_id=customer_id,
                email=receipt_email(user),
                item=f"{plan.name} (monthly)",
                amount=plan.price,
                currency=plan.currency,
                success_url=f"{success_url}?plan=pro",
                cancel_url=f"{cancel_url}?plan=pro",
            )
        )
    except GatewayError as exc:
        log.warning("Pro checkout failed to start: %s", exc)
        raise CheckoutRefused("The payment service is unavailable; please try again in a minute.", 503) from exc
    return session.url


def do_open_portal(user: User, return_url: str) -> str:
    """Where the person manages or cancels their Pro subscription."""
    subscription = Subscription.objects.filter(wallet__user=user).order_by("-updated_at", "-id").first()
    if subscription is None:
        raise CheckoutRefused("You have no subscription to manage.", status=404)
    gateway = gateways.current()
    if subscription.gateway != gateway.name:
        raise CheckoutRefused(
            f"This subscription was made with the {subscription.gateway} gateway, which is no longer in use.", 409
        )
    try:
        return gateway.portal_url(subscription.gateway_customer_id, return_url)
    except GatewayError as exc:
        log.warning("portal for %s failed: %s", subscription.gateway_subscription_id, exc)
        raise CheckoutRefused("The payment service is unavailable; please try again in a minute.", 503) from exc


def do_end_subscriptions_now(user: User) -> int:
    """End every subscription of ``user``'s that could still bill, at the gateway, now; return how many.

    For account deletion (privacy.erasure): the account closes at once, so Pro
    cannot be used for the rest of the period, and a subscription left to run
    to its end would renew onto an account that is gone. Stripe's defaults
    apply (no proration, no refund of the current period: an operator refunds
    by hand if asked). Raises ``GatewayError`` (``permanent`` when the
    subscription was made with a gateway that is no longer configured).
    """
    gateway = gateways.current()
    ended = 0
    for subscription in Subscription.objects.filter(wallet__user=user).exclude(status__in=records.ENDED_SUBSCRIPTIONS):
        if subscription.gateway != gateway.name:
            raise GatewayError(
                f"Subscription {subscription.gateway_subscription_id} was made with the {subscription.gateway} "
                "gateway, which is no longer configured: end it there by hand.",
                permanent=True,
            )
        do_sync_subscription(gateway.cancel_subscription(subscription.gateway_subscription_id))
        ended += 1
    return ended


def do_cancel_order(order: Order) -> bool:
    """The person came back from checkout without paying. A payment that still arrives is granted."""
    return Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(status=Order.Status.CANCELED) == 1


def do_refresh_order(order: Order) -> Order:
    """Ask the gateway how an unfinished order stands and fulfil it if paid.

    The success page calls this, so a person whose webhook is late still
    sees their credits; it is the same idempotent fulfilment.
    """
    gateway = gateways.current()
    unfinished = order.status in (Order.Status.PENDING, Order.Status.PROCESSING, Order.Status.CANCELED)
    if unfinished and order.gateway == gateway.name and order.gateway_session_id:
        try:
            result = gateway.checkout_result(order.gateway_session_id)
        except GatewayError as exc:
            log.info("could not refresh order %s: %s", order.public_id, exc)
            result = None
        if result is not None and result.payment_status == "paid":
            do_fulfil_checkout(result)
    order.refresh_from_db()
    return order


# --- operator ---------------------------------------------------------------
def do_adjust(wallet: Wallet, amount: int, *, reason: str, operator: str, nonce: str) -> LedgerEntry:
    """A manual correction by an operator: a new ledger entry with its reason and author, never an edit.

    ``nonce`` comes from the form, so submitting it twice posts once.
    """
    if not reason.strip():
        raise ledger.LedgerError("Give the reason for the adjustment; the person sees it on their statement.")
    if not operator:
        raise ledger.LedgerError("An adjustment needs the operator's name.")
    return ledger.post(
        wallet,
        amount,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        key=f"adjustment:{nonce}",
        reference="adjustment",
        description=reason.strip(),
        operator=operator,
    )


def do_resolve_flag(flag: AccountFlag, operator: str) -> bool:
    """Mark a flag as dealt with, by whom."""
    return (
        AccountFlag.objects.filter(pk=flag.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=operator
        )
        == 1
    )


def do_pseudonymise(user: User) -> int:
    """Cut a person's orders and wallet from their account before it is erased.

    Amounts, credits and gateway ids stay for the retention period (tax law);
    the user link and the receipt's contact go. Returns how many orders changed.
    """
    now = timezone.now()
    with transaction.atomic():
        changed = Order.objects.filter(user=user).update(user=None, email="", pseudonymised_at=now)
        Wallet.objects.filter(user=user).update(user=None, pseudonymised_at=now)
    return changed
