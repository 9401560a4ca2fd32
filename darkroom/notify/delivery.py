"""Delivering email and SMS from the queue: claim, send, retry with backoff, record the outcome.

A delivery is a row first (``notify.Delivery``); ``deliver_task`` sends it.
Each try claims the row with a conditional UPDATE (queued or retrying, and
due), so a task run twice, the sweep and a caller sending at once never all
send. A transient failure (a throttle, an outage) is tried again after
``RETRY_DELAYS``; a permanent one, or the last try, is recorded as failed.
The account is checked at send time: nothing goes to an account closed
since the message was made, unless the message is about that closing.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.notify import sms
from darkroom.notify.email import EmailFailure, is_suppressed, send_email
from darkroom.notify.messages import Message, message
from darkroom.notify.models import Delivery

log = logging.getLogger(__name__)

# Seconds before each retry: SES throttles clear within a second or so, a daily quota
# or an outage takes longer. Six tries over about 2.7 hours, then the delivery fails.
RETRY_DELAYS = (30, 120, 600, 1800, 7200)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A try that has been "sending" this long lost its worker (killed mid-send): tried again.
STUCK_AFTER = datetime.timedelta(minutes=10)
# A queued delivery whose task message was lost (a crash between commit and enqueue).
LOST_AFTER = datetime.timedelta(minutes=5)


def account_closed(user: User) -> bool:
    """Deactivated, or asked to be deleted (the field the account-deletion work adds, when present)."""
    return not user.is_active or any(
        getattr(user, name, None) is not None for name in ("deletion_requested_at", "deleted_at")
    )


def may_receive(user: User, spec: Message) -> bool:
    return spec.closed_accounts or not account_closed(user)


def _enqueue(delivery_id: int, delay: int = 0) -> None:
    from darkroom.notify.tasks import deliver_task

    if delay:
        deliver_task.schedule((delivery_id,), delay=delay)
    else:
        deliver_task(delivery_id)


def enqueue_on_commit(delivery_id: int, delay: int = 0) -> None:
    transaction.on_commit(lambda: _enqueue(delivery_id, delay))


def _finish(delivery: Delivery, status: str, **changes: Any) -> None:
    """A final state: the bodies go, the outcome stays."""
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=status, body_text="", body_html="", params={}, next_attempt_at=None, updated_at=timezone.now(), **changes
    )
    log.info("delivery %s (%s, %s): %s", delivery.public_id, delivery.channel, delivery.notification.kind, status)


def _failed(delivery: Delivery, reason: str, *, permanent: bool) -> str:
    attempts = delivery.attempts  # this try included (the claim counted it)
    if permanent or attempts >= MAX_ATTEMPTS:
        why = reason if permanent else f"gave up after {attempts} tries: {reason}"
        _finish(delivery, Delivery.Status.FAILED, error=why[:2000])
        log.warning("delivery %s failed for good: %s", delivery.public_id, reason)
        return Delivery.Status.FAILED
    delay = RETRY_DELAYS[attempts - 1]
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.RETRYING,
        next_attempt_at=timezone.now() + datetime.timedelta(seconds=delay),
        error=reason[:2000],
        updated_at=timezone.now(),
    )
    enqueue_on_commit(delivery.pk, delay)
    log.info("delivery %s: try %d failed (%s); again in %d s", delivery.public_id, attempts, reason, delay)
    return Delivery.Status.RETRYING


def _claim(delivery_id: int, *, force: bool) -> bool:
    now = timezone.now()
    pending = Delivery.objects.filter(pk=delivery_id, status__in=Delivery.PENDING)
    if not force:
        pending = pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return pending.update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now) == 1


def do_deliver(delivery_id: int, *, force: bool = False) -> str:
    """Try to send one delivery now; return its status afterwards ("" when it was not ours to send).

    ``force`` sends a retrying delivery before its time (a caller that is
    itself a queued batch, such as the policy notices, retrying its own).
    """
    if not _claim(delivery_id, force=force):
        return ""
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    notification = delivery.notification
    spec = message(notification.kind)
    if not may_receive(notification.user, spec):
        _finish(delivery, Delivery.Status.CANCELLED)
        return Delivery.Status.CANCELLED
    if delivery.channel == Delivery.Channel.EMAIL:
        if is_suppressed(delivery.to):
            _finish(delivery, Delivery.Status.SUPPRESSED)
            return Delivery.Status.SUPPRESSED
        try:
            provider_id = send_email(delivery.to, delivery.subject, delivery.body_text, delivery.body_html)
        except EmailFailure as failure:
            return _failed(delivery, failure.reason, permanent=failure.permanent)
    else:
        text = sms.TextMessage(
            to=delivery.to, kind=notification.kind, text=delivery.body_text, params=dict(delivery.params)
        )
        try:
            provider_id = sms.backend().send_text(text)
        except sms.SmsError as error:
            return _failed(delivery, error.message, permanent=error.permanent)
    _finish(delivery, Delivery.Status.SENT, provider_message_id=provider_id[:200], sent_at=timezone.now(), error="")
    return Delivery.Status.SENT


def sweep_deliveries() -> dict[str, int]:
    """Send again what lost its task: tries cut off mid-send, queued or due deliveries nobody took.

    Huey never redelivers a task whose worker died; this periodic sweep is
    what makes a killed worker lose no message. A try cut off mid-send may
    have reached the provider: at most one duplicate, never a lost receipt.
    """
    now = timezone.now()
    stuck = Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lt=now - STUCK_AFTER)
    revived = stuck.update(status=Delivery.Status.RETRYING, next_attempt_at=now, updated_at=now)
    lost = Delivery.objects.filter(
        Q(status=Delivery.Status.QUEUED, created_at__lt=now - LOST_AFTER)
        | Q(status=Delivery.Status.RETRYING, next_attempt_at__lt=now - LOST_AFTER)
        | Q(status=Delivery.Status.RETRYING, next_attempt_at=now)
    )
    resent = 0
    for delivery_id in lost.values_list("pk", flat=True)[:1000]:
        _enqueue(delivery_id)
        resent += 1
    if revived or resent:
        log.info("delivery sweep: %d cut off mid-send, %d sent to the queue again", revived, resent)
    return {"revived": revived, "resent": resent}
