"""The outbox back-end: messages are kept in the database for the operator (and, with DEBUG, /dev/sms/)."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from darkroom.notify.models import OutboxSms
from darkroom.notify.sms import CodeMessage, TextMessage

# A notice carries no code; the phone's stand-in keeps it this long for the developer to read.
OUTBOX_NOTICE_DAYS = 3

logger = logging.getLogger(__name__)


class OutboxBackend:
    def send_code(self, message: CodeMessage) -> str:
        sms = OutboxSms.objects.create(
            to=message.to, body=message.text, code_digest=message.code_digest, expires_at=message.expires_at
        )
        # Never the text: a log line outlives the code and is read by more people.
        logger.info(
            "SMS to %s kept in the outbox (%s); read it at /dev/sms/ or in the admin", message.to, sms.public_id
        )
        return str(sms.public_id)

    def send_text(self, message: TextMessage) -> str:
        sms = OutboxSms.objects.create(
            to=message.to,
            body=message.text,
            expires_at=timezone.now() + datetime.timedelta(days=OUTBOX_NOTICE_DAYS),
        )
        logger.info("SMS notice to %s kept in the outbox (%s)", message.to, sms.public_id)
        return str(sms.public_id)
