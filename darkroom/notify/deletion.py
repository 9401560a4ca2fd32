"""The two account-deletion messages, for ``privacy.erasure``: "deletion scheduled" and the final receipt.

The lead switches ``privacy.receipt.send_deletion_receipt`` to this one at
merge; the call is the same but for ``user``, which the notification hangs
from (it goes with the account). Both are email only (the person can no
longer sign in) and go to an account that is closing (``Message.closed_accounts``).
They are sent now, in the caller's process, so the caller knows: the final
receipt must be out before the address is erased.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

from darkroom.accounts.models import User
from darkroom.notify.dispatch import SENT_STATES, send
from darkroom.notify.email import EmailFailure
from darkroom.notify.models import Delivery

if TYPE_CHECKING:
    from darkroom.privacy.receipt import Receipt


def _context(receipt: Receipt) -> dict[str, Any]:
    return {
        "requested_at": receipt.requested_at,
        "delete_on": receipt.deadline,
        "completed_at": receipt.completed_at,
        "deleted": [{"what": line.what, "count": line.count} for line in receipt.deleted],
        "kept": [{"what": kept.what, "count": kept.count, "until": kept.until} for kept in receipt.kept],
        "elsewhere": [{"name": party.name, "their_retention": party.their_retention} for party in receipt.elsewhere],
    }


def send_deletion_receipt(receipt: Receipt, *, user: User, to: str = "", name: str = "") -> None:
    """Email ``receipt``: the notice that the deletion is scheduled, or, once completed, the final receipt.

    ``to`` is the account's address (``user.email``); ``name`` is ignored
    (the message greets ``user.name``), kept so the call matches the one it
    replaces. Sending again for the same receipt sends nothing twice; a
    delivery waiting for a retry is tried again. Raises ``EmailFailure`` when
    the mail did not go now: the caller tries again later, as it would on a
    mail server's error.
    """
    kind = "account_deleted" if receipt.completed else "account_deletion_scheduled"
    step = "completed" if receipt.completed else "scheduled"
    try:
        link = reverse("privacy:deletion_receipt", args=[receipt.reference])
    except NoReverseMatch:  # the receipt page is not there (the deletion work not merged yet)
        link = ""
    notification = send(
        user,
        kind,
        _context(receipt),
        key=f"deletion:{receipt.reference}:{step}",
        link=link,
        now=True,
        to_email=to or user.email or "",
    )
    email = notification.deliveries.filter(channel=Delivery.Channel.EMAIL).first() if notification else None
    if email is not None and email.status in SENT_STATES:
        return
    waiting = email is not None and email.status in (*Delivery.PENDING, Delivery.Status.SENDING)
    why = email.get_status_display().lower() if email is not None else "no address to send it to"
    raise EmailFailure(f"the deletion email was not sent: {why}", permanent=not waiting)
