"""Amazon SNS message signatures: proof that a bounce or complaint really comes from AWS.

django-anymail's Amazon SES webhook checks HTTP basic auth only (its source
says "Future: Verify SNS message signature"), so Darkroom verifies the
signature itself, as AWS describes it
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
the signing certificate must come over HTTPS from an ``sns.<region>.amazonaws.com``
host; the fields of the message, in a fixed order, are signed with RSA over
SHA-1 (``SignatureVersion`` 1) or SHA-256 (2). Certificates are kept in
memory by URL: SNS signs with few of them, and each is fetched once.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# AWS's own hosts (commercial and China partitions); nothing else may sign.
CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

_certificates: dict[str, x509.Certificate] = {}
_lock = threading.Lock()


class SignatureInvalid(Exception):
    """The message is not signed by Amazon SNS (or not in a way Darkroom can check)."""


def _download(url: str) -> bytes:
    """The PEM at ``url``; the one network call of this module (tests replace it)."""
    response = httpx.get(url, timeout=5.0, follow_redirects=False)
    response.raise_for_status()
    return response.content


def certificate(url: str) -> x509.Certificate:
    parts = urlsplit(url)
    if parts.scheme != "https" or not CERT_HOST.match(parts.hostname or "") or not parts.path.endswith(".pem"):
        raise SignatureInvalid(f"the signing certificate is not Amazon SNS's: {url[:200]}")
    with _lock:
        found = _certificates.get(url)
    if found is not None:
        return found
    try:
        loaded = x509.load_pem_x509_certificate(_download(url))
    except (httpx.HTTPError, ValueError) as exc:
        raise SignatureInvalid(f"the signing certificate could not be read ({exc.__class__.__name__})") from exc
    with _lock:
        _certificates[url] = loaded
    return loaded


def string_to_sign(message: dict[str, Any]) -> bytes:
    """The canonical text SNS signs: ``name\\nvalue\\n`` for each field present, in AWS's order."""
    kind = message.get("Type")
    fields = NOTIFICATION_FIELDS if kind == "Notification" else CONFIRMATION_FIELDS
    lines = []
    for name in fields:
        value = message.get(name)
        if value is None:
            if name == "Subject":
                continue  # optional, and left out of the text when absent
            raise SignatureInvalid(f"the message lacks {name}")
        lines += [name, str(value)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def verify(message: dict[str, Any]) -> None:
    """Raise ``SignatureInvalid`` unless ``message`` (a parsed SNS body) carries Amazon's valid signature."""
    algorithm = _HASHES.get(str(message.get("SignatureVersion", "")))
    if algorithm is None:
        raise SignatureInvalid(f"unknown SignatureVersion {message.get('SignatureVersion')!r}")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureInvalid("the signature is not base64") from exc
    key = certificate(str(message.get("SigningCertURL", ""))).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the signing certificate does not hold an RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature as exc:
        raise SignatureInvalid("the signature does not match the message") from exc
