"""Stripe webhooks: verify the signature, store the event once, answer at once; process on the queue.

The endpoint does the least it can before answering 2xx: check the signature
over the raw body (and the timestamp both ways), then insert the event row,
whose id is unique. Its effect happens in a queue task enqueued on commit;
handlers are looked up in ``HANDLERS`` by event type and are idempotent, so a
replay, Stripe's retries, 20 concurrent deliveries or reconciliation finding
the event again all end in one grant.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from darkroom.billing import fulfilment, gateways
from darkroom.billing.gateways import stripe
from darkroom.billing.gateways.stripe_api import SignatureRefused
from darkroom.billing.models import WebhookEvent

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], str], str]


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# --- handlers: (the event's data.object, the event id) -> what happened ----
def _checkout_completed(session: dict[str, Any], event_id: str) -> str:
    order = fulfilment.do_fulfil_checkout(stripe.checkout_result(session))
    if order is None:
        return "subscription checkout: its paid invoice grants the credits"
    return f"order {order.public_id}: {order.status}"


def _checkout_failed(session: dict[str, Any], event_id: str) -> str:
    order = fulfilment.do_fail_checkout(stripe.checkout_result(session))
    return f"order {order.public_id}: {order.status}"


def _checkout_expired(session: dict[str, Any], event_id: str) -> str:
    order = fulfilment.do_expire_checkout(stripe.checkout_result(session))
    return f"order {order.public_id}: {order.status}"


def _invoice_paid(invoice: dict[str, Any], event_id: str) -> str:
    order = fulfilment.do_record_invoice(stripe.paid_invoice(invoice))
    return f"order {order.public_id}: {order.credits} credits"


def _subscription_changed(subscription: dict[str, Any], event_id: str) -> str:
    # Re-fetched, never read from the event: created/updated/deleted arrive
    # in any order, and only the API knows which state is the latest.
    state = stripe.StripeGateway().fetch_subscription(str(subscription["id"]))
    stored = fulfilment.do_sync_subscription(state)
    return f"subscription {stored.gateway_subscription_id}: {stored.status}"


def _charge_refunded(charge: dict[str, Any], event_id: str) -> str:
    taken = fulfilment.do_take_back_refund(stripe.StripeGateway().refund_facts(charge, event_id))
    return f"took back {taken} credits"


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.async_payment_failed": _checkout_failed,
    "checkout.session.expired": _checkout_expired,
    "invoice.paid": _invoice_paid,
    "customer.subscription.created": _subscription_changed,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "charge.refunded": _charge_refunded,
}


# --- storing and processing -----------------------------------------------
def _enqueue(event_pk: int) -> None:
    from darkroom.billing.tasks import process_event_task

    process_event_task(event_pk)


def record_event(event: dict[str, Any], source: str, *, enqueue: bool = True) -> tuple[WebhookEvent, bool]:
    """Store an event once by its id; enqueue its processing on commit while it is unprocessed.

    An event seen before but never processed (its queue message lost) is
    enqueued again: processing is idempotent, so that costs nothing.
    """
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                gateway=stripe.NAME, event_id=event["id"], type=event["type"], payload=event, source=source
            )
        created = True
    except IntegrityError:
        row = WebhookEvent.objects.get(gateway=stripe.NAME, event_id=event["id"])
        created = False
    if enqueue and row.processed_at is None:
        transaction.on_commit(partial(_enqueue, row.pk))
    return row, created


def process_event(event_pk: int) -> str:
    """Apply one stored event through its handler, once; return what happened."""
    row = WebhookEvent.objects.filter(pk=event_pk).first()
    if row is None or row.processed_at is not None:
        return "already processed"
    handler = HANDLERS.get(row.type)
    try:
        if handler is None:
            outcome = f"ignored: Darkroom does not handle {row.type}"
        else:
            outcome = handler(row.payload["data"]["object"], row.event_id)
    except fulfilment.NotOurs as exc:
        outcome = f"ignored: {exc}"
    except Exception as exc:
        WebhookEvent.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        log.warning("stripe event %s (%s) failed: %s", row.event_id, row.type, exc)
        raise
    WebhookEvent.objects.filter(pk=row.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), attempts=F("attempts") + 1, outcome=outcome[:300], last_error=""
    )
    return outcome


def _is_event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and bool(event["id"])
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook endpoint. 2xx as soon as the event is stored; 400 with the reason otherwise."""
    if not gateways.stripe_configured():
        return _text("Stripe is not configured on this server.", 404)
    header = request.headers.get("Stripe-Signature", "")
    if not header:
        return _text("Missing the Stripe-Signature header.", 400)
    try:
        stripe.StripeGateway().verify_event(request.body, header, settings.STRIPE_WEBHOOK_SECRET or "")
    except SignatureRefused as refusal:
        return _text(str(refusal), 400)
    try:
        event = json.loads(request.body)
    except ValueError:
        return _text("The body is not JSON.", 400)
    if not _is_event(event):
        return _text("The body is not a Stripe event (id, type and data.object are required).", 400)
    if event["type"] not in HANDLERS:
        return _text(f"Ignored: Darkroom does not handle {event['type']}.", 200)
    _row, created = record_event(event, WebhookEvent.Source.WEBHOOK)
    return _text("Received." if created else "Already received.", 200)
