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
    CODE_LIFETIME = "until the code is used, ends after 3 wrong tries, or expires (10 minutes)"
    OPERATOR_AUDIT = "operator audit trail: kept while the account exists"
    TRANSACTION_RECORDS = "orders and credits: the profile's orders_years (tax law), pseudonymised on erasure"
    PAYMENT_NOTIFICATIONS = "gateway notifications: details cleared 35 days after processing"


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


def _billing(purpose: str) -> Personal:
    return Personal(Category.USAGE, purpose, Retention.TRANSACTION_RECORDS)


INVENTORY: dict[str, dict[str, Personal | NotPersonal]] = {
    "accounts.User": {
        "id": KEY,
        "public_id": KEY,
        "password": Personal(Category.ACCOUNT, "sign in (stored hashed)", Retention.ACCOUNT_LIFETIME),
        "email": Personal(Category.CONTACT, "sign in and transactional email", Retention.ACCOUNT_LIFETIME),
        # Accounts: phone sign-in (selfie-studio §1 "phone number used for registration and login").
        "phone": Personal(Category.CONTACT, "sign in by SMS code", Retention.ACCOUNT_LIFETIME),
        "phone_verified": _account("whether the phone number was proved by a code"),
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
        "preview_key": Personal(Category.CONTENT, "screen-sized copy of the photo", Retention.UPLOAD_AFTER_GENERATION),
        "blurhash": Personal(Category.CONTENT, "blurred placeholder while loading", Retention.UPLOAD_AFTER_GENERATION),
        "last_generation_at": Personal(
            Category.USAGE, "start of the selfie retention period", Retention.UPLOAD_AFTER_GENERATION
        ),
        "source_format": NOT_PERSONAL,
        "content_type": NOT_PERSONAL,
        "width": NOT_PERSONAL,
        "height": NOT_PERSONAL,
        "byte_size": NOT_PERSONAL,
        "sha256": _PHOTO_CONTENT,
        "created_at": _PHOTO_CONTENT,
        "updated_at": TIMESTAMP,
    },
    # Who received what (issue #7): kept with the account, listed on the photo page.
    "privacy.Transfer": {
        "id": KEY,
        "public_id": KEY,
        "owner": LINK,
        "provider": Personal(Category.USAGE, "tell the person who received their data", Retention.ACCOUNT_LIFETIME),
        "data": Personal(Category.USAGE, "tell the person what each processor received", Retention.ACCOUNT_LIFETIME),
        "photo": LINK,
        "job": LINK,
        "request_id": Personal(
            Category.USAGE, "find the request at the processor (an erasure request there)", Retention.ACCOUNT_LIFETIME
        ),
        "provider_retention": NOT_PERSONAL,
        "sent_at": Personal(Category.USAGE, "tell the person when their data went out", Retention.ACCOUNT_LIFETIME),
        "created_at": TIMESTAMP,
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
        "credits": _JOB_HISTORY,
        "remote": NotPersonal("the providers' ids of the job's requests; what they received is in privacy.Transfer"),
        # Measurements of the person's photo (faces found, eyes open, scores):
        # derived content, kept and erased with the job.
        "report": _PHOTO_CONTENT,
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
    # Billing. Amounts, credits and gateway ids outlive the account (tax law);
    # erasure removes the user link and contact (billing.actions.do_pseudonymise).
    "billing.Wallet": {
        "id": KEY,
        "public_id": KEY,
        "user": LINK,
        "gateway_customer_id": _billing("find the person's payments at the payment processor"),
        "pseudonymised_at": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "billing.LedgerEntry": {
        "id": KEY,
        "wallet": LINK,
        "amount": _billing("credit balance and statement"),
        "kind": _billing("credit balance and statement"),
        "idempotency_key": NotPersonal("names an order, job or event id, never a person"),
        "reference": NotPersonal("names an order or job id, never a person"),
        "description": _billing("say on the statement what credits were for"),
        "operator": Personal(Category.SECURITY, "who made a manual adjustment", Retention.OPERATOR_AUDIT),
        "created_at": _billing("credit balance and statement"),
    },
    "billing.Order": {
        "id": KEY,
        "public_id": KEY,
        "user": LINK,
        "wallet": LINK,
        "kind": _billing("records of purchases"),
        "product": _billing("records of purchases"),
        "description": _billing("records of purchases"),
        "amount": _billing("records of purchases"),
        "currency": _billing("records of purchases"),
        "credits": _billing("records of purchases"),
        "status": _billing("records of purchases"),
        "gateway": NOT_PERSONAL,
        "gateway_session_id": _billing("match the order with the payment processor"),
        "gateway_payment_id": _billing("match the order with the payment processor"),
        "gateway_invoice_id": _billing("match the order with the payment processor"),
        "gateway_subscription_id": _billing("match the order with the payment processor"),
        "email": Personal(Category.CONTACT, "whom the receipt is made out to", Retention.ACCOUNT_LIFETIME),
        "amount_refunded": _billing("records of refunds"),
        "credits_reversed": _billing("records of refunds"),
        "paid_at": _billing("records of purchases"),
        "retain_until": NotPersonal("the end of the row's own retention period"),
        "pseudonymised_at": TIMESTAMP,
        "created_at": _billing("records of purchases"),
        "updated_at": TIMESTAMP,
    },
    "billing.Subscription": {
        "id": KEY,
        "public_id": KEY,
        "wallet": LINK,
        "gateway": NOT_PERSONAL,
        "gateway_subscription_id": _billing("match the subscription with the payment processor"),
        "gateway_customer_id": _billing("match the subscription with the payment processor"),
        "status": _billing("whether the person has Pro"),
        "current_period_end": _billing("whether the person has Pro"),
        "cancel_at_period_end": _billing("whether the person has Pro"),
        "created_at": _billing("whether the person has Pro"),
        "updated_at": TIMESTAMP,
    },
    "billing.WebhookEvent": {
        "id": KEY,
        "gateway": NOT_PERSONAL,
        "event_id": NotPersonal("the processor's random event id"),
        "type": NOT_PERSONAL,
        "payload": Personal(
            Category.CONTACT,
            "apply a payment notification (holds the payer's name and email)",
            Retention.PAYMENT_NOTIFICATIONS,
        ),
        "source": NOT_PERSONAL,
        "processed_at": TIMESTAMP,
        "attempts": NOT_PERSONAL,
        "outcome": NotPersonal("what processing did, by order or subscription id"),
        "last_error": NOT_PERSONAL,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "billing.AccountFlag": {
        "id": KEY,
        "wallet": LINK,
        "order": LINK,
        "reason": _billing("let the operator settle a refund of spent credits"),
        "credits_short": _billing("let the operator settle a refund of spent credits"),
        "resolved_at": TIMESTAMP,
        "resolved_by": Personal(Category.SECURITY, "which operator settled a flag", Retention.OPERATOR_AUDIT),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    # Accounts: the SMS outbox, Google sign-in, second factor, active sessions.
    "notify.OutboxSms": {
        "id": KEY,
        "public_id": KEY,
        "to": Personal(Category.CONTACT, "development stand-in for the phone a code goes to", Retention.CODE_LIFETIME),
        "body": Personal(Category.SECURITY, "the text as the phone would show it", Retention.CODE_LIFETIME),
        "code_digest": NotPersonal("HMAC of a one-time code, to delete the message once the code is used"),
        "expires_at": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "socialaccount.SocialApp": {
        "id": KEY,
        "provider": NOT_PERSONAL,
        "provider_id": NOT_PERSONAL,
        "name": NOT_PERSONAL,
        "client_id": NotPersonal("the service's own OAuth client id"),
        "secret": NotPersonal("the service's own OAuth secret (unused: it comes from the environment)"),
        "key": NOT_PERSONAL,
        "settings": NOT_PERSONAL,
    },
    "socialaccount.SocialAccount": {
        "id": KEY,
        "user": LINK,
        "provider": _account("which provider the person signs in with"),
        "uid": Personal(
            Category.ACCOUNT, "Google's subject id: the key the account is found by", Retention.ACCOUNT_LIFETIME
        ),
        "last_login": Personal(Category.SECURITY, "spot account misuse", Retention.ACCOUNT_LIFETIME),
        "date_joined": _account("account history"),
        "extra_data": Personal(
            Category.CONTACT, "the Google profile given at sign-in (name, email, picture)", Retention.ACCOUNT_LIFETIME
        ),
    },
    "socialaccount.SocialToken": {
        "id": KEY,
        "app": LINK,
        "account": LINK,
        # SOCIALACCOUNT_STORE_TOKENS is off: no row is ever written.
        "token": Personal(Category.SECURITY, "not stored (Google is never called later)", Retention.SESSION_EXPIRY),
        "token_secret": Personal(Category.SECURITY, "not stored", Retention.SESSION_EXPIRY),
        "expires_at": TIMESTAMP,
    },
    "mfa.Authenticator": {
        "id": KEY,
        "user": LINK,
        "type": _account("which second factor is on"),
        "data": Personal(
            Category.SECURITY, "TOTP secret and hashed recovery codes for the second factor", Retention.ACCOUNT_LIFETIME
        ),
        "created_at": TIMESTAMP,
        "last_used_at": Personal(Category.SECURITY, "spot misuse of the second factor", Retention.ACCOUNT_LIFETIME),
    },
    "usersessions.UserSession": {
        "id": KEY,
        "user": LINK,
        "session_key": Personal(Category.SECURITY, "sign out a device from the account page", Retention.SESSION_EXPIRY),
        "ip": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
        "user_agent": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
        "data": Personal(Category.SECURITY, "session bookkeeping", Retention.SESSION_EXPIRY),
        "created_at": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
        "last_seen_at": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
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
