"""Queue tasks for notifications: sending deliveries, and the housekeeping of both outboxes."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from darkroom.notify.actions import do_purge_expired_outbox
from darkroom.notify.delivery import do_deliver, sweep_deliveries


@db_task()  # type: ignore[untyped-decorator]
def deliver_task(delivery_id: int) -> str:
    """Send one email or SMS; a failure schedules its own retry (notify.delivery), so Huey retries nothing."""
    return do_deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def purge_expired_outbox() -> None:
    # Codes live at most ACCOUNT_PHONE_VERIFICATION_TIMEOUT (10 min); a minute's
    # granularity keeps an expired code in the outbox for under a minute more.
    # The email outbox's mails expire by the day; the same minute costs nothing.
    do_purge_expired_outbox()


@db_periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
def sweep_deliveries_task() -> dict[str, int]:
    """Every 5 minutes: deliveries whose worker died mid-send or whose task was lost go back to the queue."""
    return sweep_deliveries()
