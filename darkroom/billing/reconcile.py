"""Reconciliation and the periodic billing housekeeping.

Stripe retries a webhook for three days, and both ends have outages; an event
that never arrived is found here by listing Stripe's recent events and is
processed exactly like a delivered one (same row, same handlers, same keys).
"""

from __future__ import annotations

import datetime
import logging
import time

from django.utils import timezone

from darkroom.billing import gateways, webhooks
from darkroom.billing.gateways import stripe, test
from darkroom.billing.models import WebhookEvent

log = logging.getLogger(__name__)

RECONCILE_DAYS = 3  # Stripe's retry window; the events list itself reaches back 30 days.
MAX_ATTEMPTS = 10  # then an event waits for the operator (its last error is in the admin)
STALLED_AFTER = datetime.timedelta(minutes=5)
# Payloads hold the customer's name and email; after Stripe's own 30-day
# events window the id, type and outcome are enough to refuse a replay.
PAYLOAD_KEPT = datetime.timedelta(days=35)


def process_pending(older_than: datetime.timedelta = datetime.timedelta(0)) -> tuple[int, int]:
    """Process stored events that are still unprocessed, oldest first; return (processed, failed)."""
    cutoff = timezone.now() - older_than
    pending = WebhookEvent.objects.filter(
        processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lte=cutoff
    ).order_by("id")
    processed = failed = 0
    for event_pk in pending.values_list("pk", flat=True):
        try:
            webhooks.process_event(event_pk)
            processed += 1
        except Exception:
            log.exception("billing: stored event %s could not be processed", event_pk)
            failed += 1
    return processed, failed


def reconcile(days: int = RECONCILE_DAYS) -> dict[str, int]:
    """Store the events of the last ``days`` that never arrived, then process everything pending."""
    since = int(time.time()) - days * 86400
    listed = list(stripe.StripeGateway().events_since(since, sorted(webhooks.HANDLERS)))
    new = 0
    for event in reversed(listed):  # Stripe lists newest first
        _row, created = webhooks.record_event(event, WebhookEvent.Source.RECONCILE, enqueue=False)
        new += created
    processed, failed = process_pending()
    if new:
        log.warning("billing reconcile: %d event(s) had not arrived by webhook", new)
    return {"listed": len(listed), "new": new, "processed": processed, "failed": failed}


def process_stalled_events() -> int:
    """Events stored but not processed after a while: their queue message was lost."""
    processed, _failed = process_pending(older_than=STALLED_AFTER)
    return processed


def renew_test_subscriptions() -> int:
    """The test gateway's monthly billing (Stripe does its own)."""
    return 0 if gateways.stripe_configured() else test.renew_due_subscriptions()


def prune_event_payloads() -> int:
    """Clear the personal details of processed events once they can no longer be replayed."""
    return (
        WebhookEvent.objects.filter(processed_at__lt=timezone.now() - PAYLOAD_KEPT)
        .exclude(payload={})
        .update(payload={})
    )


def housekeeping() -> dict[str, int]:
    """The periodic billing job: one step per method above."""
    return {
        "stalled_processed": process_stalled_events(),
        "test_renewed": renew_test_subscriptions(),
        "payloads_pruned": prune_event_payloads(),
    }
