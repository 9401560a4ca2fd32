"""Notifications: what Darkroom tells people, in the app, by email and by SMS.

The one interface other apps use::

    from darkroom import notify

    notify.send(user, "job_finished", {"job_kind": "Enhance"}, key=f"job:{job.public_id}:finished",
                link=f"/jobs/{job.public_id}/")

Messages and their categories are listed in ``notify.messages``; which
channels one goes on, in ``notify.preferences``; delivery from the queue,
retries and the outcome, in ``notify.delivery``; email vendors (the outbox,
Amazon SES) in ``notify.email``, SMS vendors in ``notify.sms``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from darkroom.accounts.models import User
    from darkroom.notify.models import Notification


def send(
    user: User,
    kind: str,
    context: dict[str, Any] | None = None,
    *,
    key: str,
    link: str = "",
    photo: Any = None,
    now: bool = False,
    to_email: str = "",
) -> Notification | None:
    """See ``darkroom.notify.dispatch.send``; imported on first use, so this package loads before the app registry."""
    from darkroom.notify.dispatch import send as _send

    return _send(user, kind, context, key=key, link=link, photo=photo, now=now, to_email=to_email)
