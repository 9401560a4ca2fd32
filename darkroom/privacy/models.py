"""Who received a person's data: one row each time a photo or prompt went to a third party."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Transfer(models.Model):
    """One transfer of personal data to a processor (DESIGN.md invariant 3).

    Written by the studio when a provider has been sent a job's photo or
    prompt, also when the provider then refused or failed: the data left
    either way. The photo page lists them ("sent to OpenAI on …"), and the
    privacy issue's export and processor record read them.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transfers")
    provider = models.CharField(max_length=40, help_text="The processor's name as people know it: OpenAI, Replicate…")
    data = models.JSONField(default=list, help_text='What was sent: ["image", "prompt"].')
    photo = models.ForeignKey(
        "photos.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers"
    )
    job = models.ForeignKey("studio.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="transfers")
    request_id = models.CharField(max_length=200, blank=True, default="", help_text="The provider's id of the request.")
    provider_retention = models.CharField(
        max_length=300, blank=True, default="", help_text="How long the provider says it keeps what it was sent."
    )
    sent_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-sent_at", "-id")
        indexes = [models.Index(fields=["owner", "-sent_at"], name="transfer_owner_idx")]

    def __str__(self) -> str:
        return f"{', '.join(self.data)} to {self.provider} at {self.sent_at:%Y-%m-%d %H:%M}"
