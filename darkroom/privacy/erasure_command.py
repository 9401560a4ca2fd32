"""`darkroom privacy delete-account` and `cancel-deletion`: the operator's side of account deletion.

selfie-studio §5 "Contact us by email to close your account and delete all
associated data": without ``--now`` the account is closed at once and purged
when the profile's period ends, as if the person had pressed the button.
§6 "If you believe a minor has used the Service, please contact us to delete
it immediately": ``--now`` purges at once, the reason recorded as an
under-age report. The log gets the deletion's reference and the reason,
never the email address or number typed here.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from darkroom.privacy.erasure import do_cancel_deletion, do_request_deletion, find_account
from darkroom.privacy.erasure_purge import purge
from darkroom.privacy.models import Erasure
from darkroom.privacy.receipt import receipt_of, receipt_url
from darkroom.privacy.retention import Writer


def run(out: Writer, action: str, login: str | None, *, now: bool) -> None:
    if not login:
        raise CommandError(f"{action}: name the account by its email address or phone number.")
    user = find_account(login)
    if user is None:
        raise CommandError(f"No account has the email address or phone number {login!r}.")
    if action == "cancel-deletion":
        if not do_cancel_deletion(user):
            raise CommandError("This account has no deletion waiting to be stopped (done, under way, or none).")
        out.write("Deletion stopped: the account can sign in again. What was done at once stays done.\n")
        return
    reason = Erasure.Reason.UNDER_AGE if now else Erasure.Reason.REQUEST
    erasure = do_request_deletion(user, source=Erasure.Source.OPERATOR, reason=reason, immediately=now)
    if now:
        outcome = purge(erasure.pk)
        erasure.refresh_from_db()
        if outcome != "completed" and erasure.state != Erasure.State.COMPLETED:
            raise CommandError(f"The purge did not finish ({outcome}); the periodic run resumes it. See the log.")
    receipt = receipt_of(erasure)
    verb = "Deleted" if receipt.completed else f"Closed; everything is deleted by {receipt.deadline:%-d %B %Y}"
    out.write(f"{verb}. Reference {receipt.reference}, receipt: {receipt_url(receipt)}\n")
    for line in receipt.deleted:
        out.write(f"  {line.count:>7}  {line.what}\n")
    for kept in receipt.kept:
        out.write(f"  {kept.count:>7}  kept until {kept.until or 'settled'}: {kept.what}\n")
