from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def brand(request: HttpRequest) -> dict[str, Any]:
    """The profile's product facts that every page shows."""
    profile = settings.PROFILE
    return {"brand": profile.brand, "operator": profile.operator, "profile": profile}


def policy_notice(request: HttpRequest) -> dict[str, Any]:
    """The in-app notice of a changed privacy policy, for a signed-in person who has not accepted it yet.

    Costs nothing for everyone else: the current version's digest is kept in
    memory (privacy.policy.current), and the person's accepted one is on the user row.
    """
    from darkroom.accounts.models import User
    from darkroom.privacy.policy_versions import changes_for, do_record_policy_version, needs_acceptance

    user = getattr(request, "user", None)
    if not isinstance(user, User) or not needs_acceptance(user):
        return {}
    version = do_record_policy_version()
    changes = [change for change in changes_for(user, version) if change.material]
    return {"policy_notice": version, "policy_notice_changes": changes[:3], "policy_notice_more": len(changes) > 3}
