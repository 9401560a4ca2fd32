"""Template filters for photos."""

from __future__ import annotations

import datetime

from django import template

from darkroom.photos import retention
from darkroom.photos.models import Photo

register = template.Library()


@register.filter
def deletion_date(photo: Photo) -> datetime.datetime | None:
    """When the retention rule deletes ``photo`` (None: kept until the user deletes it)."""
    return retention.deletion_date(photo)
