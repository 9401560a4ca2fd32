"""One-time codes sent by SMS (and sign-in codes by email): only ever kept as an HMAC.

allauth keeps the code it expects in the session and compares the person's
input with it. Darkroom hands allauth the HMAC of the code instead (keyed with
SECRET_KEY, so a leaked session or database does not give the code away) and
hashes the input the same way before allauth compares (accounts.forms). The
clear code lives only in memory, on the request, between ``issue`` and the one
``reveal`` that sends it; it is never stored and never logged.

Codes are ``ALLAUTH_USER_CODE_FORMAT``: six digits from ``secrets`` (a CSPRNG).
"""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.core.internal.cryptokit import generate_user_code, normalize_user_code
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

_PENDING = "_darkroom_clear_codes"
_SALT = "darkroom.accounts.codes"


def digest(code: str) -> str:
    """The HMAC that stands for ``code`` everywhere Darkroom or allauth keeps it."""
    return salted_hmac(_SALT, normalize_user_code(code), algorithm="sha256").hexdigest()


def issue(request: HttpRequest) -> str:
    """Make a new code; remember it in clear on ``request`` only; return its digest."""
    clear = generate_user_code(**account_settings.PHONE_VERIFICATION_CODE_FORMAT)
    code_digest = digest(clear)
    request.__dict__.setdefault(_PENDING, {})[code_digest] = clear
    return code_digest


def reveal(request: HttpRequest, code_digest: str) -> str | None:
    """The clear code behind ``code_digest``, once, for sending it; None if this request did not issue it."""
    pending: dict[str, str] = request.__dict__.get(_PENDING, {})
    return pending.pop(code_digest, None)


def record_wrong_try(code_digest: str, timeout: int) -> int:
    """Count a wrong try against the code; return the tries so far.

    allauth counts too (in the session, and ends the code after
    ``*_MAX_ATTEMPTS``); this count, shared by every process, tells Darkroom
    when to discard what it holds for the code (the outbox message, an
    unfinished sign-up).
    """
    key = f"code-tries:{code_digest}"
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def forget_tries(code_digest: str) -> None:
    cache.delete(f"code-tries:{code_digest}")
