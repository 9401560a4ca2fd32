"""State changes for notifications: the SMS outbox's lifetime."""

from __future__ import annotations

from django.utils import timezone

from darkroom.notify.models import OutboxSms


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
    """Delete outbox messages whose code has expired; return how many."""
    deleted, _ = OutboxSms.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
