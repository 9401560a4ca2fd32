from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def brand(request: HttpRequest) -> dict[str, Any]:
    """The profile's product facts that every page shows."""
    profile = settings.PROFILE
    return {"brand": profile.brand, "operator": profile.operator, "profile": profile}
