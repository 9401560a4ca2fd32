"""State changes for accounts: API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from darkroom.accounts.models import ApiToken, User

TOKEN_PREFIX = "drk_"  # noqa: S105 - a public prefix, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def do_issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the raw token is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], digest=_digest(raw))
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def do_revoke_api_token(user: User, public_id: str) -> bool:
    """Delete one of ``user``'s tokens; False when it is not theirs or does not exist."""
    deleted, _ = ApiToken.objects.filter(user=user, public_id=public_id).delete()
    return deleted > 0
