"""The outbox email back-end, the default: mail is kept in the database, nothing leaves the machine.

``make run`` needs no mail account: the operator reads what was "sent" in the
admin (Notifications → email outbox) and, with DEBUG on, at /dev/email/.
Each mail is kept ``OUTBOX_EMAIL_DAYS`` (models.OutboxEmail).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from darkroom.notify.models import OutboxEmail

logger = logging.getLogger(__name__)


def _html(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return str(message.body) if message.content_subtype == "html" else ""


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        kept = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            html = _html(message)
            text = "" if message.content_subtype == "html" else str(message.body)
            mail = OutboxEmail.objects.create(
                from_email=str(message.from_email),
                to="\n".join(recipients),
                subject=str(message.subject)[:998],
                body_text=text,
                body_html=html,
            )
            # Never the body or the subject: a reset link in a log outlives the link.
            logger.info("email %s kept in the outbox; read it at /dev/email/ (DEBUG) or in the admin", mail.public_id)
            kept += 1
        return kept
