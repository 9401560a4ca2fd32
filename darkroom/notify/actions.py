"""State changes for notifications: the outboxes' lifetime, notifications read.

Sending is ``notify.send`` (``notify.dispatch``); delivering, ``notify.delivery``.
"""

from __future__ import annotations

from django.utils import timezone

from darkroom.accounts.models import User
from darkroom.notify.models import Notification, OutboxEmail, OutboxSms


def do_discard_code_messages(code_digest: str) -> int:
    """Delete every stored message that carries the code with this digest; return how many.

    Called when a code is used or ends (too many wrong tries), so the outbox
    keeps a code no longer than the code itself lives.
    """
    if not code_digest:
        return 0
    deleted, _ = OutboxSms.objects.filter(code_digest=code_digest).delete()
    return deleted


def do_purge_expired_outbox() -> int:
    """Delete outbox texts whose code has expired, and outbox mails past their days; return how many."""
    now = timezone.now()
    texts, _ = OutboxSms.objects.filter(expires_at__lte=now).delete()
    mails, _ = OutboxEmail.objects.filter(expires_at__lte=now).delete()
    return texts + mails


def do_mark_read(user: User, public_id: str) -> bool:
    """Mark one of ``user``'s notifications read; False when it is not theirs, or was read already."""
    return (
        Notification.objects.filter(user=user, public_id=public_id, read_at__isnull=True).update(read_at=timezone.now())
        == 1
    )


def do_mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user``'s read; return how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, shown=True, read_at__isnull=True).count()
