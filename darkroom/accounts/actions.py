"""State changes for accounts: API tokens, one-time codes, unfinished sign-ups, the profile."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from allauth.account import app_settings as account_settings
from django.db.models import Q
from django.utils import timezone

from darkroom.accounts import codes
from darkroom.accounts.models import ApiToken, User
from darkroom.notify.actions import do_discard_code_messages

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


def _unfinished_signups() -> Q:
    # Signed up by phone and never proved the number: no email, never signed in.
    return Q(phone__isnull=False, phone_verified=False, email__isnull=True, last_login__isnull=True)


def do_end_code(code_digest: str, *, user: object | None) -> None:
    """A code was used or ended (too many wrong tries): drop everything Darkroom holds for it.

    allauth drops its own state (the digest in the session). With ``user``, an
    unfinished phone sign-up that the code was to complete is deleted too: a
    refused sign-up leaves no account behind.
    """
    codes.forget_tries(code_digest)
    do_discard_code_messages(code_digest)
    if isinstance(user, User) and user.pk:
        User.objects.filter(_unfinished_signups(), pk=user.pk).delete()


def do_sweep_unfinished_signups() -> int:
    """Delete phone sign-ups whose code expired unused; return how many.

    The person walked away (or mistyped their number): the account was never
    usable, and the number was never proved to be theirs.
    """
    cutoff = timezone.now() - datetime.timedelta(seconds=account_settings.PHONE_VERIFICATION_TIMEOUT)
    _, deleted = User.objects.filter(_unfinished_signups(), date_joined__lt=cutoff).delete()
    return deleted.get(User._meta.label, 0)  # users, not the rows that went with them (their consent record)


def do_update_name(user: User, name: str) -> None:
    """Set how the service addresses ``user``."""
    user.name = name.strip()[:150]
    user.save(update_fields=["name", "updated_at"])
