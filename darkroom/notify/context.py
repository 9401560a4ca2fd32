"""The bell's unread count on every page, for a signed-in person (one indexed COUNT, only when the page shows it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def unread(request: HttpRequest) -> dict[str, Any]:
    from darkroom.accounts.models import User
    from darkroom.notify.actions import unread_count

    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    return {"notify_unread": SimpleLazyObject(lambda: unread_count(user))}
