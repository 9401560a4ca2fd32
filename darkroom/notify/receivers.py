"""What sends which message: the other apps' signals, turned into ``notify.send`` calls.

studio's ``job_finished`` (after the commit that ended the job), billing's
``order_paid`` and ``subscription_changed`` (after the commit that changed
the payment), allauth's sign-up and email confirmation. Every key names the
event, so a replayed webhook or a re-run task sends nothing twice. A message
that cannot be made is logged and dropped: a notice never undoes the job or
the payment it is about.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from allauth.account.signals import email_confirmed, user_signed_up
from django.conf import settings
from django.dispatch import receiver
from django.urls import reverse

from darkroom.accounts.models import User
from darkroom.billing.fulfilment import order_paid, subscription_changed
from darkroom.billing.models import Order, Subscription
from darkroom.billing.money import format_money
from darkroom.notify.dispatch import send
from darkroom.studio.actions import job_finished
from darkroom.studio.models import Job

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., None])


def _never_raises(function: F) -> F:
    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except Exception:
            log.exception("notification from %s not made", function.__name__)

    return guarded  # type: ignore[return-value]


# --- jobs -----------------------------------------------------------------
@receiver(job_finished, dispatch_uid="darkroom.notify.job_finished")
@_never_raises
def on_job_finished(sender: object, job: Job, **kwargs: object) -> None:
    """Done or failed; a job the person cancelled themselves needs no message."""
    link = reverse("studio:detail", args=[job.public_id])
    context: dict[str, Any] = {"job_kind": job.get_kind_display()}
    if job.state == Job.State.SUCCEEDED:
        send(job.owner, "job_finished", context, key=f"job:{job.public_id}:finished", link=link, photo=job.result)
    elif job.state == Job.State.FAILED:
        context.update(reason=job.error, refunded=job.credits)
        send(job.owner, "job_failed", context, key=f"job:{job.public_id}:failed", link=link)


# --- payments -------------------------------------------------------------
def _order_facts(order: Order) -> dict[str, Any]:
    return {
        "description": order.description,
        "amount": format_money(order.amount, order.currency),
        "credits": order.credits,
        "paid_at": order.paid_at or order.created_at,
        "number": str(order.public_id),
    }


def _plan_name() -> str:
    plan = settings.PROFILE.billing.pro
    return str(plan.name) if plan else "Pro"


@receiver(order_paid, dispatch_uid="darkroom.notify.order_paid")
@_never_raises
def on_order_paid(sender: object, order: Order, renewal: bool = False, **kwargs: object) -> None:
    """A credit pack or a Pro month paid: its receipt; a month after the first, the renewal's."""
    if order.user is None:
        return  # the account was erased before the payment arrived: no one to tell
    link = reverse("billing:receipt", args=[order.public_id])
    facts = _order_facts(order)
    if renewal:
        subscription = Subscription.objects.filter(
            gateway=order.gateway, gateway_subscription_id=order.gateway_subscription_id
        ).first()
        facts.update(plan=_plan_name(), next_renewal=subscription.current_period_end if subscription else None)
        send(order.user, "subscription_renewed", facts, key=f"order:{order.public_id}:renewed", link=link)
    else:
        send(order.user, "receipt", facts, key=f"order:{order.public_id}:receipt", link=link)


@receiver(subscription_changed, dispatch_uid="darkroom.notify.subscription_changed")
@_never_raises
def on_subscription_changed(
    sender: object, subscription: Subscription, previous_status: str, was_cancelling: bool, **kwargs: object
) -> None:
    """Payment failed (past due), cancelled at the period's end, or ended: each told once per period."""
    user = subscription.wallet.user
    if user is None:
        return
    failing = (Subscription.Status.PAST_DUE, Subscription.Status.UNPAID)
    period = f"{subscription.current_period_end:%Y%m%d}" if subscription.current_period_end else "none"
    base = f"subscription:{subscription.public_id}"
    facts: dict[str, Any] = {"plan": _plan_name()}
    link = reverse("billing:overview")
    if subscription.status in failing and previous_status not in failing:
        send(user, "payment_failed", facts, key=f"{base}:failed:{period}", link=link)
    elif subscription.status == Subscription.Status.CANCELED and previous_status != Subscription.Status.CANCELED:
        send(user, "subscription_cancelled", {**facts, "ends_at": None}, key=f"{base}:ended", link=link)
    elif subscription.cancel_at_period_end and not was_cancelling and subscription.gives_pro:
        facts["ends_at"] = subscription.current_period_end
        send(user, "subscription_cancelled", facts, key=f"{base}:cancel:{period}", link=link)


# --- accounts -------------------------------------------------------------
def _welcome(user: User) -> None:
    # One key for both signals: the in-app line at sign-up, the email once an address is verified.
    send(user, "welcome", key=f"welcome:{user.public_id}", link=reverse("photos:upload"))


@receiver(user_signed_up, dispatch_uid="darkroom.notify.welcome")
@_never_raises
def on_signed_up(sender: object, request: object, user: User, **kwargs: object) -> None:
    _welcome(user)


@receiver(email_confirmed, dispatch_uid="darkroom.notify.welcome_email")
@_never_raises
def on_email_confirmed(sender: object, request: object, email_address: Any, **kwargs: object) -> None:
    user = email_address.user
    if isinstance(user, User):
        _welcome(user)
