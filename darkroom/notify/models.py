"""Messages Darkroom sends. Today: the SMS outbox, the development stand-in for phones."""

from __future__ import annotations

import uuid

from django.db import models


class OutboxSms(models.Model):
    """A text message "sent" by the outbox back-end: kept here instead of reaching a phone.

    It plays the phone's part, so it holds the code in clear, as the phone would.
    Like a code in the real flow, it lives only until the code is used, ends after
    too many wrong tries, or expires (``notify.actions``); nothing else keeps it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    to = models.CharField(max_length=16, help_text="E.164 phone number")
    body = models.TextField()
    # HMAC of the code (accounts.codes), so the message can be found and deleted once the code is used.
    code_digest = models.CharField(max_length=64, db_index=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "SMS in the outbox"
        verbose_name_plural = "SMS outbox"

    def __str__(self) -> str:
        return f"SMS to {self.to} at {self.created_at:%Y-%m-%d %H:%M:%S}"
