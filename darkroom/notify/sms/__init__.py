"""Sending text messages: one small interface, one module per vendor.

``backend()`` returns the back-end named by the ``SMS_BACKEND`` setting:
``outbox`` (the default: messages are kept in the database, nothing leaves the
machine), ``alibaba`` (Alibaba Cloud SMS, the selfie-studio seed's vendor) or
``twilio``. Every vendor failure is an ``SmsError`` whose ``permanent`` flag
tells the caller whether trying again later can help (a throttle) or not (a
number the carrier refuses).

Two kinds of text go out: one-time codes (``send_code``, accounts) and
notices a person asked for (``send_text``, a job finished; notify.delivery).
Alibaba Cloud sends only pre-approved templates, so a notice goes there only
when ``ALIBABA_SMS_NOTICE_TEMPLATES`` names a template for its kind
(``can_send_notice``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "outbox": "darkroom.notify.sms.outbox.OutboxBackend",
    "alibaba": "darkroom.notify.sms.alibaba.AlibabaBackend",
    "twilio": "darkroom.notify.sms.twilio.TwilioBackend",
}


class SmsError(Exception):
    """The vendor did not take the message; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class CodeMessage:
    """A one-time code on its way to a phone.

    ``code`` is the clear code and exists only in memory, for the one send;
    ``code_digest`` is what Darkroom keeps (see accounts.codes).
    """

    to: str
    code: str
    code_digest: str
    text: str
    expires_at: datetime.datetime


@dataclass(frozen=True)
class TextMessage:
    """A notice on its way to a phone: no code in it.

    ``text`` is the whole message (outbox, Twilio); ``params`` fill the
    variables of a vendor's approved template for ``kind`` (Alibaba Cloud).
    """

    to: str
    kind: str
    text: str
    params: dict[str, str]


class SmsBackend(Protocol):
    def send_code(self, message: CodeMessage) -> str:
        """Send ``message``; return the vendor's message id, or raise SmsError."""

    def send_text(self, message: TextMessage) -> str:
        """Send a notice; return the vendor's message id, or raise SmsError."""


def can_send_notice(kind: str) -> bool:
    """Whether the configured back-end can send a notice of ``kind`` (Alibaba needs an approved template)."""
    if settings.SMS_BACKEND == "alibaba":
        return kind in settings.ALIBABA_SMS_NOTICE_TEMPLATES
    return True


def backend() -> SmsBackend:
    """The configured back-end (a new instance: they hold no state between sends)."""
    cls: type[SmsBackend] = import_string(BACKENDS[settings.SMS_BACKEND])
    return cls()
