"""``notify.send``: one message to one person, on every channel they get it on, exactly once per key.

The notification and its deliveries are rows first, made in one
transaction; each email or SMS is sent by a queue task once that commits
(``notify.delivery``). With ``now=True`` the caller sends them in its own
process instead (a queued batch already, or a receipt that must be out
before the account's address is erased) and learns whether they went.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from darkroom.accounts.models import User
from darkroom.notify.delivery import do_deliver, enqueue_on_commit, may_receive
from darkroom.notify.email import address_of
from darkroom.notify.messages import Channel, Rendered, absolute, message, render
from darkroom.notify.models import Delivery, Notification
from darkroom.notify.preferences import channels_for

log = logging.getLogger(__name__)


class KeyTaken(Exception):
    """A notification key already belongs to another person's message: a bug in the trigger."""


def _sms_params(context: dict[str, Any], link: str) -> dict[str, str]:
    """What an approved SMS template may name: the brand, the link and the context's plain words."""
    plain = {name: str(value) for name, value in context.items() if isinstance(value, str | int)}
    return {**plain, "brand": settings.PROFILE.brand.name, "link": absolute(link)}


def _deliveries(
    notification: Notification,
    user: User,
    channels: set[Channel],
    rendered: Rendered,
    params: dict[str, str],
    email: str,
) -> list[Delivery]:
    """The email and SMS rows this message still lacks (a second send adds a channel that became possible)."""
    made = []
    wanted: list[tuple[str, str, dict[str, Any]]] = []
    if Channel.EMAIL in channels:
        body = {"subject": rendered.subject[:300], "body_text": rendered.text, "body_html": rendered.html}
        wanted.append((Delivery.Channel.EMAIL, email, body))
    if Channel.SMS in channels and user.phone:
        wanted.append((Delivery.Channel.SMS, user.phone, {"body_text": rendered.sms, "params": params}))
    for channel, to, body in wanted:
        delivery, created = Delivery.objects.get_or_create(
            notification=notification, channel=channel, defaults={"to": to, **body}
        )
        if created:
            made.append(delivery)
    return made


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
    """Send message ``kind`` to ``user``: in the app, by email and by SMS, as their preferences and the category allow.

    ``key`` names the event (``job:<id>:finished``): sending the same key
    again sends nothing twice, but adds a channel that was not possible the
    first time (an address verified since). ``link`` is the path of what the
    message is about (the job, the order, the export). ``photo`` shows as a
    thumbnail in the notification centre. Returns None when nothing may go
    to ``user`` (a closed account), else the notification; with ``now`` its
    deliveries have been tried, and ``delivered(notification)`` says how it went.
    ``to_email`` overrides the verified address (the deletion receipt goes to
    the account's address while its other records are already gone).
    """
    spec = message(kind)
    if not may_receive(user, spec):
        log.info("%s not sent: the account %s is closed", kind, user.pk)
        return None
    context = context or {}
    email = to_email or address_of(user)
    channels = channels_for(user, spec, email=email)
    rendered = render(kind, context, name=user.name, link=link)
    with transaction.atomic():
        notification, _created = Notification.objects.get_or_create(
            key=key,
            defaults={
                "user": user,
                "kind": kind,
                "category": spec.category,
                "title": rendered.subject[:300],
                "summary": rendered.summary[:500],
                "link": link[:300],
                "photo": photo,
                "shown": Channel.IN_APP in channels,
            },
        )
        if notification.user_id != user.pk:
            raise KeyTaken(f"notification key {key!r} belongs to another account")
        made = _deliveries(notification, user, channels, rendered, _sms_params(context, link), email)
        if not now:
            for delivery in made:
                enqueue_on_commit(delivery.pk)
    if now:
        for delivery_id in notification.deliveries.filter(status__in=Delivery.PENDING).values_list("pk", flat=True):
            do_deliver(delivery_id, force=True)
    return notification


SENT_STATES = (Delivery.Status.SENT, Delivery.Status.DELIVERED, Delivery.Status.BOUNCED, Delivery.Status.COMPLAINED)


def delivered(notification: Notification | None, channel: str = Delivery.Channel.EMAIL) -> bool | None:
    """True once ``channel``'s delivery was handed to the provider; False while it waits or failed; None: none."""
    if notification is None:
        return None
    status = notification.deliveries.filter(channel=channel).values_list("status", flat=True).first()
    if status is None:
        return None
    return status in SENT_STATES
