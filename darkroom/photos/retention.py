"""When a photo will be deleted automatically, in words for its owner.

The rule comes from the profile (selfie-studio: uploads 30 days after their
last generation; photo-coach: kept until the user deletes them). The sweep
that applies it belongs to the privacy app; this only tells the user.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from darkroom.photos.models import Photo

KEPT = "Kept until you delete it or your account."


def deletion_date(photo: Photo) -> datetime.datetime | None:
    """The moment the retention rule deletes ``photo``, or None when only the user does."""
    retention = settings.PROFILE.privacy.retention
    if photo.kind == Photo.Kind.UPLOAD:
        days = retention.uploads_days_after_generation
        if days and photo.last_generation_at:
            return photo.last_generation_at + datetime.timedelta(days=days)
        return None
    if retention.results_days:
        return photo.created_at + datetime.timedelta(days=retention.results_days)
    return None


def retention_note(photo: Photo) -> str:
    when = deletion_date(photo)
    if when is not None:
        return f"Deleted automatically on {when:%-d %B %Y}."
    days = settings.PROFILE.privacy.retention.uploads_days_after_generation
    if photo.kind == Photo.Kind.UPLOAD and days:
        return f"Kept until you delete it; once used to generate a picture, deleted {days} days later."
    return KEPT
