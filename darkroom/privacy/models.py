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


class UsageEvent(models.Model):
    """One use of a feature: what was used, on what kind of device, in which browser family.

    Exactly the usage data the policies name (selfie-studio §1 "device type,
    browser info — used for debugging and improving the service"; photo-coach
    §2 "feature usage"), and nothing more: no IP address, no full user agent,
    no photo or job id. Written only by ``privacy.usage.record_usage``, never
    while the person has opted out; deleted after the profile's
    ``usage_logs_days`` by the retention sweep. Rows are never changed, hence
    no ``updated_at``.
    """

    class DeviceType(models.TextChoices):
        PHONE = "phone", "Phone"
        TABLET = "tablet", "Tablet"
        DESKTOP = "desktop", "Desktop or laptop"
        BOT = "bot", "Crawler"
        OTHER = "other", "Other (a program, or not told)"

    # Nullable: a feature used without an account still says how the service is used.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_events"
    )
    feature = models.CharField(max_length=40, help_text="upload, job:<kind>, purchase:<pack|pro>")
    device_type = models.CharField(max_length=10, choices=DeviceType.choices, default=DeviceType.OTHER)
    browser_family = models.CharField(max_length=40, blank=True, help_text="Chrome, Safari, Firefox…; no version.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["owner", "-created_at"], name="usage_owner_idx")]

    def __str__(self) -> str:
        return f"{self.feature} on {self.device_type} ({self.browser_family or 'unknown browser'})"


class Export(models.Model):
    """One copy of everything Darkroom holds about a person: a ZIP in private storage.

    photo-coach §8 "Export your data upon request", selfie-studio §5 "View,
    download … your generated results". queued → running → ready | failed.
    A ready archive lives until ``expires_at`` (the profile's
    ``export_link_days``); then ``privacy.export.expire_exports`` marks it
    expired (no download starts from then on), deletes the object and the
    row. At most one export per person is queued or running: a constraint,
    so two clicks at once still make one.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    ACTIVE = (State.QUEUED, State.RUNNING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file_key = models.CharField(max_length=200, blank=True, default="", help_text="Random storage key of the ZIP.")
    byte_size = models.PositiveBigIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the export failed, in words the user can read.")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=models.Q(state__in=["queued", "running"]), name="export_one_active"
            )
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="export_owner_idx"),
            models.Index(fields=["state", "expires_at"], name="export_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.public_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE


class PolicyVersion(models.Model):
    """One version of the privacy policy: the facts its page stated, kept from the first time they were seen.

    The ``digest`` of the facts (and of the template's version) is the
    version's identity, so the same facts are always the same version and a
    changed fact is a new one (privacy.policy). ``changes`` and ``material``
    compare it with the version before it (privacy.policy_changes). Rows are
    never changed or deleted: they are what people consented to.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(unique=True, help_text="1, 2, 3… in the order the versions took effect.")
    digest = models.CharField(max_length=32, unique=True)
    template_version = models.PositiveSmallIntegerField()
    facts = models.JSONField(help_text="Every fact the page stated (privacy.policy.PolicyFacts).")
    changes = models.JSONField(default=list, help_text='Since the version before: [{"what": …, "material": …}].')
    material = models.BooleanField(default=False)
    published_at = models.DateTimeField(help_text="When these facts took effect (first seen).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-number",)

    def __str__(self) -> str:
        return f"policy version {self.number} of {self.published_at:%Y-%m-%d}"


class PolicyAcceptance(models.Model):
    """A person accepted a version of the privacy policy: at sign-up, or from the in-app notice."""

    class Via(models.TextChoices):
        SIGN_UP = "sign-up", "At sign-up"
        NOTICE = "notice", "From the notice of a change"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acceptances")
    via = models.CharField(max_length=10, choices=Via.choices)
    accepted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-accepted_at", "-id")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="policy_accepted_once")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.version} ({self.via})"


class PolicyNotice(models.Model):
    """The email about a material change of the policy, to one person: at most one per person and version.

    The row is written before the email goes (``sent_at`` empty), so two
    senders cannot both send it; ``sent_at`` is set once the mail server took it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_notices")
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="notices")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="policy_notice_once")]

    def __str__(self) -> str:
        return f"notice of {self.version} to {self.user}"


class Erasure(models.Model):
    """The deletion of one account: asked for, hidden at once, purged when its period ends; then its receipt.

    photo-coach §6 "Upon account deletion, all personal data and images are
    permanently deleted within 30 days"; selfie-studio §5 "close your account
    and delete all associated data", §6 a minor's data deleted "immediately".
    ``privacy.erasure`` writes it. ``deleted`` counts every row and stored
    object removed, by inventory label, in the same transaction as the
    removal, so the receipt stays true across a crash mid-way; ``kept`` lists
    the pseudonymised records left for their legal period, and until when.
    Nothing here says who the person was: once the account is gone ``user``
    is null, and the row is the operator's proof of the erasure, kept as long
    as the records it says were kept.
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled: hidden, waiting for its date"
        PURGING = "purging", "Being deleted"
        COMPLETED = "completed", "Deleted"
        CANCELLED = "cancelled", "Cancelled by an operator"

    class Source(models.TextChoices):
        PERSON = "person", "The person, from their account"
        OPERATOR = "operator", "An operator"

    class Reason(models.TextChoices):
        REQUEST = "request", "The person asked"
        UNDER_AGE = "under-age", "Under-age report"

    ACTIVE = (State.SCHEDULED, State.PURGING)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasures"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.REQUEST)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    requested_at = models.DateTimeField()
    purge_at = models.DateTimeField(help_text="When the purge may start: a little before the deadline.")
    deadline = models.DateTimeField(help_text="By when everything is gone: requested_at + account_deletion_days.")
    planned = models.JSONField(default=dict, help_text="The receipt as it stood when the deletion was asked for.")
    deleted = models.JSONField(default=dict, help_text='Rows removed by inventory label, and "storage" objects.')
    kept = models.JSONField(null=True, blank=True, help_text="Records kept pseudonymised, set once billing is cut.")
    processors = models.JSONField(null=True, blank=True, help_text="Third parties that had received data.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_note = models.CharField(max_length=200, blank=True, help_text="Why the receipt was not emailed.")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-requested_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state__in=["scheduled", "purging"]), name="erasure_one_active"
            )
        ]
        indexes = [models.Index(fields=["state", "purge_at"], name="erasure_due_idx")]

    def __str__(self) -> str:
        return f"account deletion {self.public_id} ({self.state})"
