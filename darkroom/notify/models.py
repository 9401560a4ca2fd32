"""Messages Darkroom sends: in-app notifications, their email and SMS deliveries, preferences, suppressions.

The development stand-ins for a phone and a mailbox live here too: the SMS
outbox and the email outbox (``notify.sms.outbox``, ``notify.email.outbox``).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxSms(models.Model):
    """A text message "sent" by the outbox back-end: kept here instead of reaching a phone.

    It plays the phone's part, so it holds the code in clear, as the phone would.
    Like a code in the real flow, it lives only until the code is used, ends after
    too many wrong tries, or expires (``notify.actions``); nothing else keeps it.
    A notice (a job finished) carries no code and lives for ``OUTBOX_NOTICE_DAYS``.
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


# The longest a link in an account email lives: allauth's email confirmation
# (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS, 3) and Django's password reset
# (PASSWORD_RESET_TIMEOUT, 3 days). The outbox keeps a mail no longer than its link.
OUTBOX_EMAIL_DAYS = 3


def _outbox_email_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=OUTBOX_EMAIL_DAYS)


class OutboxEmail(models.Model):
    """An email "sent" by the outbox back-end (the default): kept here instead of reaching a mailbox.

    It plays the mailbox's part, so it holds the mail as the person would
    read it, verification and password-reset links included; it is deleted
    after ``OUTBOX_EMAIL_DAYS``, when the longest-lived of those links has
    expired. Read in the admin, and at /dev/email/ while DEBUG is on.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text="Recipients, one per line.")
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    expires_at = models.DateTimeField(default=_outbox_email_expiry, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "email in the outbox"
        verbose_name_plural = "email outbox"

    def __str__(self) -> str:
        return f"“{self.subject}” at {self.created_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """One message to one person: a line in their notification centre, and the parent of its deliveries.

    ``key`` makes sending idempotent (``job:<id>:finished``, ``order:<id>:receipt``):
    a replayed webhook or a re-run task finds the row and sends nothing twice.
    ``shown`` is False when the person turned the in-app channel off for the
    category; the row still anchors the email or SMS. Kept a year
    (``notify.retention``), or until the account goes.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40, help_text="The message (notify.messages), e.g. job_finished.")
    category = models.CharField(max_length=20)
    key = models.CharField(max_length=200, unique=True)
    title = models.CharField(max_length=300)
    summary = models.CharField(max_length=500, blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="Path of the job, order or export it is about.")
    # A job's result, shown as a thumbnail in the list through a signed URL issued when the page is drawn.
    photo = models.ForeignKey(
        "photos.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    shown = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True, shown=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Delivery(models.Model):
    """One notification on its way by email or SMS: sent from the queue, retried, its outcome recorded.

    The bodies are rendered when the row is made and cleared once it reaches
    a final state (sent, failed, suppressed, cancelled), so a message's text
    lives no longer than its sending. ``to`` stays for the bounce and
    complaint the provider may report later.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Waiting to be tried again"
        SENT = "sent", "Handed to the provider"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        FAILED = "failed", "Failed for good"
        SUPPRESSED = "suppressed", "Not sent: the address bounced or complained before"
        CANCELLED = "cancelled", "Not sent: the account was closed"

    PENDING = (Status.QUEUED, Status.RETRYING)
    FINAL = (
        Status.SENT,
        Status.DELIVERED,
        Status.BOUNCED,
        Status.COMPLAINED,
        Status.FAILED,
        Status.SUPPRESSED,
        Status.CANCELLED,
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=320, help_text="The email address or E.164 number it goes to.")
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The variables of an SMS vendor's approved template (Alibaba Cloud): brand, job, link.
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True, help_text="Why the last try failed (the provider's error code and words).")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        # The deletion receipt lists erased rows by these words (privacy.erasure_walk.name_of).
        verbose_name = "email or text message sent"
        verbose_name_plural = "emails and text messages sent"
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.public_id} ({self.status})"


class Preference(models.Model):
    """A person's choice for one category on one channel; only choices that differ from the default are stored.

    Categories that are transactional or legal have no row ever: their
    channels are fixed (``notify.preferences``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences")
    category = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)
    enabled = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("user", "category", "channel")
        verbose_name = "notification setting"
        constraints = [models.UniqueConstraint(fields=["user", "category", "channel"], name="preference_once_per_cell")]

    def __str__(self) -> str:
        return f"{self.category}/{self.channel}: {'on' if self.enabled else 'off'}"


class Suppression(models.Model):
    """An email address no mail goes to: it bounced for good, or its owner marked our mail as spam.

    Amazon SES reports both through its tracking webhook (``notify.email.webhooks``);
    sending on would harm the service's standing with every mailbox provider.
    Linked to the account that had the address, and erased with it; an
    address of no account is kept a year (``notify.retention``). An operator
    lifts one in the admin (delete the row) once the person fixed their mailbox.
    """

    class Reason(models.TextChoices):
        BOUNCE = "bounce", "Bounced for good"
        COMPLAINT = "complaint", "Marked as spam"

    address = models.CharField(max_length=320, unique=True, help_text="Lower-cased email address.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="suppressions"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True, help_text="The provider's words: bounce type or feedback.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "email address no mail goes to"
        verbose_name_plural = "email addresses no mail goes to"

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"
