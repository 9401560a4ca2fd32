"""Second factors (allauth.mfa): their secrets are encrypted at rest.

A TOTP key and the recovery-code seed must be readable to check a code, so
they cannot be hashed like passwords; allauth stores them in clear unless its
adapter encrypts them (DESIGN.md invariant 7). Fernet (AES-128-CBC + HMAC)
with a key derived from SECRET_KEY: a copy of the database alone gives no
one a working second factor. Rotating SECRET_KEY makes existing second
factors unreadable; people then set them up again (docs/accounts.md).
"""

from __future__ import annotations

import base64

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "fernet:"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"darkroom.accounts.mfa").derive(
        settings.SECRET_KEY.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]  # allauth ships no types
    def encrypt(self, text: str) -> str:
        return _PREFIX + _fernet().encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            return encrypted_text  # written before encryption was switched on
        return _fernet().decrypt(encrypted_text[len(_PREFIX) :].encode("ascii")).decode("utf-8")
