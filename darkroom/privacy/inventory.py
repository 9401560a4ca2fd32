"""Every piece of personal data Darkroom holds, why, and for how long.

DESIGN.md invariant 5: each concrete field of each installed model is listed
here, either as ``Personal`` (with its category, purpose and retention rule)
or as ``NOT_PERSONAL``. ``tests/privacy/test_inventory.py`` fails when a field
is added without being classified, so nothing personal can slip in unnoticed.
Retention sweeps, export and erasure (the privacy issue) read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    ACCOUNT = "account"  # identifiers and credentials of the account itself
    CONTACT = "contact"  # how to reach the person (email, phone)
    CONTENT = "content"  # photos and what was made from them
    USAGE = "usage"  # what the person did and when
    SECURITY = "security"  # sessions, tokens, audit trail


class Retention(StrEnum):
    ACCOUNT_LIFETIME = "kept while the account exists, erased with it"
    UNTIL_USER_DELETES = "kept until the user deletes it or the account"
    UPLOAD_AFTER_GENERATION = "uploads: the profile's days after their last generation, else until deleted"
    SESSION_EXPIRY = "until the session expires or the user signs out"
    CONFIRMATION_EXPIRY = "until the confirmation is used or expires"
    OPERATOR_AUDIT = "operator audit trail: kept while the account exists"


@dataclass(frozen=True)
class Personal:
    category: Category
    purpose: str
    retention: Retention


@dataclass(frozen=True)
class NotPersonal:
    reason: str


NOT_PERSONAL = NotPersonal("holds no information about a person")
KEY = NotPersonal("a surrogate key or random identifier that says nothing about the person")
TIMESTAMP = NotPersonal("a bookkeeping time of the row itself")
LINK = NotPersonal("links to the owner's row; erased with that row")


def _account(purpose: str) -> Personal:
    return Personal(Category.ACCOUNT, purpose, Retention.ACCOUNT_LIFETIME)


_PHOTO_CONTENT = Personal(Category.CONTENT, "provide the photo service", Retention.UNTIL_USER_DELETES)
_JOB_HISTORY = Personal(Category.USAGE, "show the user their job history", Retention.UNTIL_USER_DELETES)

INVENTORY: dict[str, dict[str, Personal | NotPersonal]] = {
    "accounts.User": {
        "id": KEY,
        "public_id": KEY,
        "password": Personal(Category.ACCOUNT, "sign in (stored hashed)", Retention.ACCOUNT_LIFETIME),
        "email": Personal(Category.CONTACT, "sign in and transactional email", Retention.ACCOUNT_LIFETIME),
        "name": _account("address the user"),
        "last_login": Personal(Category.SECURITY, "spot account misuse", Retention.ACCOUNT_LIFETIME),
        "is_superuser": NOT_PERSONAL,
        "is_staff": NOT_PERSONAL,
        "is_active": NOT_PERSONAL,
        "date_joined": _account("account history"),
        "age_confirmed_at": _account("proof that the minimum-age check was passed"),
        "minimum_age_confirmed": _account("which minimum age the user confirmed"),
        "policy_version_accepted": _account("record of consent to the privacy policy"),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
        "groups": NOT_PERSONAL,
        "user_permissions": NOT_PERSONAL,
    },
    "accounts.ApiToken": {
        "id": KEY,
        "public_id": KEY,
        "user": LINK,
        "name": Personal(Category.SECURITY, "let the user recognise a token", Retention.UNTIL_USER_DELETES),
        "prefix": NotPersonal("first characters of a random token"),
        "digest": NotPersonal("SHA-256 of a random token, not reversible"),
        "last_used_at": Personal(Category.SECURITY, "spot a leaked token", Retention.UNTIL_USER_DELETES),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "photos.Photo": {
        "id": KEY,
        "public_id": KEY,
        "owner": LINK,
        "kind": NOT_PERSONAL,
        "file_key": Personal(Category.CONTENT, "the photo itself (storage object)", Retention.UPLOAD_AFTER_GENERATION),
        "thumb_key": Personal(Category.CONTENT, "thumbnail of the photo", Retention.UPLOAD_AFTER_GENERATION),
        "content_type": NOT_PERSONAL,
        "width": NOT_PERSONAL,
        "height": NOT_PERSONAL,
        "byte_size": NOT_PERSONAL,
        "sha256": _PHOTO_CONTENT,
        "created_at": _PHOTO_CONTENT,
        "updated_at": TIMESTAMP,
    },
    "studio.Job": {
        "id": KEY,
        "public_id": KEY,
        "owner": LINK,
        "kind": _JOB_HISTORY,
        "state": NOT_PERSONAL,
        "input": LINK,
        "result": LINK,
        "params": _JOB_HISTORY,
        "progress": NOT_PERSONAL,
        "attempts": NOT_PERSONAL,
        "error": NOT_PERSONAL,
        "lease_expires_at": NOT_PERSONAL,
        "enqueued_at": NOT_PERSONAL,
        "started_at": _JOB_HISTORY,
        "finished_at": _JOB_HISTORY,
        "created_at": _JOB_HISTORY,
        "updated_at": TIMESTAMP,
    },
    # Third-party models Darkroom installs.
    "account.EmailAddress": {
        "id": KEY,
        "user": LINK,
        "email": Personal(Category.CONTACT, "verified addresses for sign-in", Retention.ACCOUNT_LIFETIME),
        "verified": NOT_PERSONAL,
        "primary": NOT_PERSONAL,
    },
    "account.EmailConfirmation": {
        "id": KEY,
        "email_address": LINK,
        "created": TIMESTAMP,
        "sent": TIMESTAMP,
        "key": Personal(Category.SECURITY, "confirm an email address", Retention.CONFIRMATION_EXPIRY),
    },
    "sessions.Session": {
        "session_key": Personal(Category.SECURITY, "keep the user signed in", Retention.SESSION_EXPIRY),
        "session_data": Personal(Category.SECURITY, "keep the user signed in", Retention.SESSION_EXPIRY),
        "expire_date": TIMESTAMP,
    },
    "admin.LogEntry": {
        "id": KEY,
        "action_time": TIMESTAMP,
        "user": LINK,
        "content_type": NOT_PERSONAL,
        "object_id": Personal(Category.SECURITY, "what an operator changed", Retention.OPERATOR_AUDIT),
        "object_repr": Personal(Category.SECURITY, "what an operator changed", Retention.OPERATOR_AUDIT),
        "action_flag": NOT_PERSONAL,
        "change_message": Personal(Category.SECURITY, "what an operator changed", Retention.OPERATOR_AUDIT),
    },
    "auth.Permission": {"id": KEY, "name": NOT_PERSONAL, "content_type": NOT_PERSONAL, "codename": NOT_PERSONAL},
    "auth.Group": {"id": KEY, "name": NOT_PERSONAL, "permissions": NOT_PERSONAL},
    "contenttypes.ContentType": {"id": KEY, "app_label": NOT_PERSONAL, "model": NOT_PERSONAL},
}


def personal_fields(model_label: str) -> dict[str, Personal]:
    """The personal fields of one model, by field name."""
    return {name: entry for name, entry in INVENTORY.get(model_label, {}).items() if isinstance(entry, Personal)}
