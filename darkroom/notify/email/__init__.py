"""Sending email: through Django's mail API, to the back-end named by ``EMAIL_BACKEND``.

The outbox (``notify.email.outbox``, the default) or Amazon SES through
django-anymail in production. This module knows where a person's mail goes
(their verified primary address), which addresses are suppressed (a hard
bounce or a complaint, reported by SES's tracking webhook), and tells a send
worth retrying from one that never will succeed (``EmailFailure``).
"""

from __future__ import annotations

import smtplib
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from darkroom.accounts.models import User
from darkroom.notify.models import Suppression

# Amazon SES v2 errors worth trying again later (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html):
# throttles and quotas reset on their own; a paused or suspended account works again once
# the operator has dealt with AWS. Everything else with a 4xx (MessageRejected: an address
# or content SES refuses; MailFromDomainNotVerified; BadRequest) fails the same way every time.
SES_TRANSIENT = {
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "LimitExceededException",
    "SendingPausedException",
    "AccountSuspendedException",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestTimeout",
}


class EmailFailure(Exception):
    """A send that did not go; ``permanent`` when trying again cannot help. ``reason`` never holds the body."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def address_of(user: User) -> str:
    """Where ``user``'s mail goes: their verified primary address, else another verified one, else nowhere ("").

    An unverified address may be someone else's (typed by mistake, or on
    purpose): nothing is sent there but allauth's own verification mail.
    """
    verified = EmailAddress.objects.filter(user=user, verified=True).order_by("-primary", "id")
    found = verified.values_list("email", flat=True).first()
    return str(found or "")


def is_suppressed(address: str) -> bool:
    return bool(address) and Suppression.objects.filter(address=address.strip().lower()).exists()


def do_suppress(address: str, reason: str, detail: str = "") -> Suppression:
    """Stop all mail to ``address``; linked to the account that has it, so it goes with that account."""
    normalised = address.strip().lower()
    owner = User.objects.filter(email__iexact=normalised).first()
    suppression, _ = Suppression.objects.update_or_create(
        address=normalised, defaults={"reason": reason, "detail": detail[:300], "user": owner}
    )
    return suppression


def _ses_failure(exc: Any) -> EmailFailure:
    """anymail's AnymailAPIError from the SES back-end carries boto3's parsed error response (or none)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        # No response at all: a connection refused or a timeout on the way to SES.
        return EmailFailure(f"{exc.__class__.__name__}: the mail service could not be reached", permanent=False)
    code = str(response.get("Error", {}).get("Code", "") or "")
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    transient = code in SES_TRANSIENT or status == 429 or status >= 500
    words = str(response.get("Error", {}).get("Message", "") or "")[:200]
    return EmailFailure(f"{code or status}: {words}".strip(), permanent=not transient)


def classify(exc: Exception) -> EmailFailure:
    """Tell a failed send worth retrying (throttle, outage) from one that never will succeed."""
    from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused

    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress):
        return EmailFailure(f"{exc.__class__.__name__}: the address was refused", permanent=True)
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status:  # an anymail back-end over HTTP (requests) reports the status itself
            return EmailFailure(f"HTTP {status}", permanent=not (status == 429 or status >= 500))
        return _ses_failure(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return EmailFailure("SMTP: the recipient was refused", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        # 4xx is "try again later" in SMTP (greylisting, a full queue); 5xx is a refusal.
        return EmailFailure(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500)
    # A connection error, a timeout, anything the back-end did not explain: worth another try.
    return EmailFailure(f"{exc.__class__.__name__}", permanent=False)


def send_email(to: str, subject: str, text: str, html: str, *, headers: dict[str, str] | None = None) -> str:
    """Hand one email to the configured back-end; return the provider's message id ("" when it gives none).

    Raises ``EmailFailure``.
    """
    message = EmailMultiAlternatives(
        subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {}, connection=get_connection()
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        sent = message.send()
    except Exception as exc:
        raise classify(exc) from exc
    if not sent:
        raise EmailFailure("the mail back-end took nothing", permanent=False)
    status = getattr(message, "anymail_status", None)
    return str(getattr(status, "message_id", "") or "") if status is not None else ""
