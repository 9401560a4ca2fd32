"""State changes for the privacy records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from darkroom.privacy.models import Transfer

if TYPE_CHECKING:
    from darkroom.accounts.models import User
    from darkroom.photos.models import Photo
    from darkroom.studio.models import Job


def do_record_transfer(
    owner: User,
    *,
    provider: str,
    data: tuple[str, ...],
    photo: Photo | None,
    job: Job | None,
    request_id: str = "",
    provider_retention: str = "",
) -> Transfer:
    """Write down that ``provider`` was sent ``data`` of ``owner``'s, now."""
    return Transfer.objects.create(
        owner=owner,
        provider=provider,
        data=list(data),
        photo=photo,
        job=job,
        request_id=request_id[:200],
        provider_retention=provider_retention[:300],
        sent_at=timezone.now(),
    )
