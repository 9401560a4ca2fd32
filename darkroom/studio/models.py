"""Jobs: a unit of AI work on a user's photo, tracked as a state machine."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    """A job is a database row first (DESIGN.md invariant 2).

    queued → running → succeeded | failed | cancelled. A worker owns a running job only
    while ``lease_expires_at`` is in the future; the sweep re-queues a job
    whose lease ran out, because its worker died.
    """

    class Kind(models.TextChoices):
        ENHANCE = "enhance", "Enhance"
        RESTORE_FACES = "restore-faces", "Restore faces"
        UPSCALE = "upscale", "Upscale"
        CRITIQUE = "critique", "Critique"
        GENERATE = "generate", "Portrait in a scene"
        ANIMATE = "animate", "Animate"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINAL_STATES = (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    input = models.ForeignKey(
        "photos.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs_as_input"
    )
    result = models.OneToOneField(
        "photos.Photo", null=True, blank=True, on_delete=models.SET_NULL, related_name="produced_by"
    )
    params = models.JSONField(default=dict, blank=True)
    credits = models.PositiveIntegerField(
        default=0,
        help_text="What the job cost (debited with the row, ledger key job:<id>:debit); refunded if it fails.",
    )
    remote = models.JSONField(
        default=dict,
        blank=True,
        help_text="Each provider's id for this job's prediction or task, kept before waiting so a restarted "
        "worker resumes it instead of paying for a second one.",
    )
    report = models.JSONField(
        default=dict, blank=True, help_text="What the engine measured and decided: critique scores, moderation, faces."
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the job failed, in words the user can read.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["state", "lease_expires_at"], name="job_sweep_idx"),
            models.Index(fields=["owner", "-created_at"], name="job_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @property
    def feature(self) -> str:
        """The profile's name for this kind (``features.restore_faces``, ``billing.job_credits``)."""
        return self.kind.replace("-", "_")
