"""Photos people upload and the results jobs make from them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Photo(models.Model):
    """One image in a user's gallery, stored privately under random keys.

    Three objects per photo: the cleaned original (``file_key``; an MP4 for
    an animation result), a WebP
    preview for the photo page and a WebP thumbnail for the gallery. Their
    names are random bytes only, never file names or ids (DESIGN.md
    invariant 4).
    """

    class Kind(models.TextChoices):
        UPLOAD = "upload", "Upload"
        RESULT = "result", "Result"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UPLOAD)
    file_key = models.CharField(max_length=200, unique=True)
    thumb_key = models.CharField(max_length=200, unique=True)
    preview_key = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=40)
    source_format = models.CharField(
        max_length=10, blank=True, default="", help_text="JPEG, PNG, WEBP or HEIF (uploads); MP4 for animations"
    )
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(
        max_length=64, help_text="Digest of the bytes the user sent (uploads) or of the stored result."
    )
    blurhash = models.CharField(max_length=60, blank=True, default="")
    # Selfie retention counts from here ("30 days after generation").
    last_generation_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="photo_gallery_idx"),
            models.Index(fields=["owner", "kind", "-created_at", "-id"], name="photo_gallery_kind_idx"),
            models.Index(fields=["owner", "sha256"], name="photo_duplicate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    @property
    def extension(self) -> str:
        return {"image/png": "png", "video/mp4": "mp4"}.get(self.content_type, "jpg")

    @property
    def is_video(self) -> bool:
        """An animation result: the file is an MP4; preview and thumbnail are a frame of it."""
        return self.content_type == "video/mp4"

    @property
    def storage_keys(self) -> list[str]:
        return [key for key in (self.file_key, self.preview_key, self.thumb_key) if key]
