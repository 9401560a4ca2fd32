"""Queue tasks for billing (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from darkroom.billing import gateways, reconcile, webhooks
from darkroom.billing.gateways import GatewayError

log = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=30)  # type: ignore[untyped-decorator]
def process_event_task(event_pk: int) -> str:
    return webhooks.process_event(event_pk)


@db_periodic_task(crontab(minute="*/15"))  # type: ignore[untyped-decorator]
def billing_housekeeping_task() -> dict[str, int]:
    return reconcile.housekeeping()


@db_periodic_task(crontab(minute="7"))  # type: ignore[untyped-decorator]
def reconcile_task() -> dict[str, int]:
    """Hourly: find Stripe events that never arrived (`darkroom billing reconcile` does the same)."""
    if not gateways.stripe_configured():
        return {}
    try:
        return reconcile.reconcile()
    except GatewayError as exc:
        log.warning("billing reconcile could not reach Stripe: %s", exc)
        return {"unreachable": 1}
