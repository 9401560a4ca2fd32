"""Retention rules for notifications (registered with ``privacy.retention``; listed in its ``RULE_MODULES``).

Notifications and their delivery records are kept a year: long enough for
a person to look back at a receipt notice or a job they forgot, and for an
operator to answer "did you email me?"; not longer, because the receipt
itself and the job stay on their own pages. The account's erasure removes
them sooner (every row links to the user). Message bodies live only until
the message is sent; the development email outbox, three days.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from darkroom.notify.models import Delivery, Notification, OutboxEmail, Suppression
from darkroom.privacy.inventory import Retention
from darkroom.privacy.retention import Run, Tally, _delete, rule

NOTIFICATIONS_KEPT = datetime.timedelta(days=365)


@rule(
    Retention.NOTIFICATIONS,
    name="notifications",
    models={"notify.Notification", "notify.Delivery", "notify.Suppression"},
)
def old_notifications(run: Run) -> list[Tally]:
    """Notifications (with their delivery records) and suppressions of no account, a year after they were made.

    selfie-studio §2 "To send service-related notifications (generation
    complete, order status, etc.)"; photo-coach §3 "To send transactional
    emails (password resets, welcome emails, subscription receipts)". Once
    told, the person needs the notice only as a reminder; a year covers that.
    A suppression linked to an account stays while the account does (its
    address still bounces); one of no account goes after the same year.
    """
    cutoff = run.now - NOTIFICATIONS_KEPT
    return [
        _delete(
            run,
            "notifications",
            "notifications over a year old",
            Notification.objects.filter(created_at__lt=cutoff),
            "created_at",
        ),
        _delete(
            run,
            "notifications",
            "suppressed addresses of no account, over a year old",
            Suppression.objects.filter(user__isnull=True, created_at__lt=cutoff),
            "created_at",
        ),
    ]


@rule(Retention.MESSAGE_BODIES, name="message-bodies", models={"notify.Delivery"})
def sent_message_bodies(run: Run) -> list[Tally]:
    """The text of emails and SMS once sent or given up (a backstop: delivery clears them itself).

    selfie-studio §2 "service-related notifications"; photo-coach §3
    "transactional emails": a message's words are needed to send it, not
    after; the subject and the outcome stay with the delivery record.
    """
    done = Delivery.objects.filter(status__in=Delivery.FINAL).filter(
        ~Q(body_text="") | ~Q(body_html="") | ~Q(params={})
    )
    count = done.count()
    cleared = 0 if run.dry_run else done.update(body_text="", body_html="", params={})
    return [Tally("message-bodies", "bodies of sent or failed messages", count if run.dry_run else cleared)]


@rule(Retention.OUTBOX_MAIL, name="email-outbox", models={"notify.OutboxEmail"})
def expired_outbox_mail(run: Run) -> list[Tally]:
    """Mails in the development outbox past their three days (the longest life of a link in them).

    photo-coach §3 "password resets, welcome emails": the outbox stands in
    for the person's mailbox while no mail service is configured, and keeps a
    reset or verification link no longer than the link itself works.
    """
    expired = OutboxEmail.objects.filter(expires_at__lte=run.now)
    return [_delete(run, "email-outbox", "mails in the email outbox past their days", expired, "expires_at")]
