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
    USAGE_LOGS = "usage events: the profile's usage_logs_days, none at all once the user opts out"
    EXPORT_LINK = "exports: the profile's export_link_days after the archive is ready, then deleted"
    NOTIFICATIONS = "notifications and their delivery records: a year, or until the account goes"
    MESSAGE_BODIES = "the text of an email or SMS: only until it is sent or given up"
    OUTBOX_MAIL = "development email outbox: 3 days, the longest life of a link in it"


class Withheld(StrEnum):
    """Why a personal field stays out of the person's export (privacy.export); the export lists each one.

    The rule: every personal field is exported unless its entry names one of
    these; a new field holding a secret must be marked, or it would leave.
    """

    SECRET = "a secret or a key to one (password hash, second factor, session, code, token): it never leaves"  # noqa: S105
    OTHER_PERSON = "about someone else: the operator who changed the record, or the records an operator changed"
    UNLINKED = "not linked to an account, only to a payment processor's or phone network's ids"


@dataclass(frozen=True)
class Personal:
    category: Category
    purpose: str
    retention: Retention
    withheld: Withheld | None = None  # None: in the person's export

    @property
    def exportable(self) -> bool:
        return self.withheld is None


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
_USAGE_PURPOSE = "debugging and improving the service"
_OPERATOR_CHANGE = Personal(
    Category.SECURITY, "what an operator changed", Retention.OPERATOR_AUDIT, Withheld.OTHER_PERSON
)


# selfie-studio §2 "service-related notifications"; photo-coach §3 "transactional emails".
_NOTICE = Personal(
    Category.USAGE, "tell the person what happened to their jobs, payments and data", Retention.NOTIFICATIONS
)
_MESSAGE_BODY = Personal(
    Category.CONTENT, "the words of an email or SMS on its way", Retention.MESSAGE_BODIES, Withheld.SECRET
)
_OUTBOX_MAIL = Personal(
    Category.CONTACT, "development stand-in for the mailbox a mail goes to", Retention.OUTBOX_MAIL, Withheld.UNLINKED
)
_OUTBOX_MAIL_BODY = Personal(
    Category.SECURITY, "the mail as the mailbox shows it, links included", Retention.OUTBOX_MAIL, Withheld.SECRET
)


def _billing(purpose: str) -> Personal:
    return Personal(Category.USAGE, purpose, Retention.TRANSACTION_RECORDS)


INVENTORY: dict[str, dict[str, Personal | NotPersonal]] = {
    "accounts.User": {
        "id": KEY,
        "public_id": KEY,
        "password": Personal(
            Category.ACCOUNT, "sign in (stored hashed)", Retention.ACCOUNT_LIFETIME, withheld=Withheld.SECRET
        ),
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
        # selfie-studio §5 "Opt out of certain data collection": no usage event is written while set.
        "usage_opt_out": _account("the person's choice that no usage events are recorded"),
        # Account deletion (privacy.erasure): sign-in is off from this moment, the purge follows.
        "deletion_requested_at": _account("when the person asked for the account to be deleted"),
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
    # Usage data (selfie-studio §1 "device type, browser info — used for debugging and improving the
    # service"; photo-coach §2 "feature usage"): what was used, from what kind of device, nothing more.
    "privacy.UsageEvent": {
        "id": KEY,
        "owner": LINK,
        "feature": Personal(Category.USAGE, _USAGE_PURPOSE, Retention.USAGE_LOGS),
        "device_type": Personal(Category.USAGE, _USAGE_PURPOSE, Retention.USAGE_LOGS),
        "browser_family": Personal(Category.USAGE, _USAGE_PURPOSE, Retention.USAGE_LOGS),
        "created_at": Personal(Category.USAGE, _USAGE_PURPOSE, Retention.USAGE_LOGS),
    },
    # The person's own copies of their data (privacy.export); the archive is the object at file_key.
    "privacy.Export": {
        "id": KEY,
        "public_id": KEY,
        "owner": LINK,
        "state": NOT_PERSONAL,
        "file_key": Personal(Category.CONTENT, "the archive of the person's data", Retention.EXPORT_LINK),
        "byte_size": NOT_PERSONAL,
        "progress": NOT_PERSONAL,
        "error": NOT_PERSONAL,
        "expires_at": TIMESTAMP,
        "created_at": Personal(Category.USAGE, "show the person when they asked for a copy", Retention.EXPORT_LINK),
        "finished_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    # The privacy policy's versions and who accepted which (privacy.policy_versions). A version
    # is facts about the service; the acceptance and the notice are the person's record of consent.
    # An account's deletion and its receipt (privacy.erasure): counts and dates, never who it was.
    # Its user link is not a LINK: erasure must not erase its own record, and it is set to null
    # when the account goes.
    "privacy.Erasure": {
        "id": KEY,
        "public_id": KEY,
        "user": NotPersonal("the account being deleted, until it is gone (then null)"),
        "source": NOT_PERSONAL,
        "reason": NotPersonal("a reason from a fixed list (the person asked, an under-age report), no free text"),
        "state": NOT_PERSONAL,
        "requested_at": TIMESTAMP,
        "purge_at": TIMESTAMP,
        "deadline": TIMESTAMP,
        "planned": NotPersonal("counts of records by kind and the dates kept records end"),
        "deleted": NotPersonal("counts of records by kind"),
        "kept": NotPersonal("counts of pseudonymised records by kind and the dates they end"),
        "processors": NotPersonal("names of third parties and their stated retention"),
        "lease_expires_at": TIMESTAMP,
        "receipt_sent_at": TIMESTAMP,
        "receipt_note": NOT_PERSONAL,
        "started_at": TIMESTAMP,
        "completed_at": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "privacy.PolicyVersion": {
        "id": KEY,
        "public_id": KEY,
        "number": NOT_PERSONAL,
        "digest": NOT_PERSONAL,
        "template_version": NOT_PERSONAL,
        "facts": NotPersonal("what the policy stated about the service"),
        "changes": NotPersonal("what changed in the policy"),
        "material": NOT_PERSONAL,
        "published_at": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "privacy.PolicyAcceptance": {
        "id": KEY,
        "user": LINK,
        "version": NotPersonal("the policy version accepted: facts about the service"),
        "via": _account("record of consent to the privacy policy: at sign-up or from the notice"),
        "accepted_at": _account("record of consent to the privacy policy: when"),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "privacy.PolicyNotice": {
        "id": KEY,
        "user": LINK,
        "version": NotPersonal("the policy version announced"),
        "sent_at": _account("proof that a material change of the policy was announced by email"),
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
        "operator": Personal(
            Category.SECURITY, "who made a manual adjustment", Retention.OPERATOR_AUDIT, Withheld.OTHER_PERSON
        ),
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
            # What it changed is exported with the orders, subscriptions and ledger.
            Withheld.UNLINKED,
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
        "resolved_by": Personal(
            Category.SECURITY, "which operator settled a flag", Retention.OPERATOR_AUDIT, Withheld.OTHER_PERSON
        ),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    # Accounts: the SMS outbox, Google sign-in, second factor, active sessions.
    "notify.OutboxSms": {
        "id": KEY,
        "public_id": KEY,
        "to": Personal(
            Category.CONTACT,
            "development stand-in for the phone a code goes to",
            Retention.CODE_LIFETIME,
            Withheld.UNLINKED,
        ),
        "body": Personal(
            Category.SECURITY, "the text as the phone would show it", Retention.CODE_LIFETIME, Withheld.SECRET
        ),
        "code_digest": NotPersonal("HMAC of a one-time code, to delete the message once the code is used"),
        "expires_at": TIMESTAMP,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    # Notifications (notify): what each person was told, how, and what they chose.
    "notify.Notification": {
        "id": KEY,
        "public_id": KEY,
        "user": LINK,
        "kind": _NOTICE,
        "category": _NOTICE,
        "key": NotPersonal("names the event by a job, order or export id, never a person"),
        "title": _NOTICE,
        "summary": _NOTICE,
        "link": NotPersonal("the path of the job, order or export page"),
        "photo": LINK,
        "shown": NOT_PERSONAL,
        "read_at": _NOTICE,
        "created_at": _NOTICE,
        "updated_at": TIMESTAMP,
    },
    "notify.Delivery": {
        "id": KEY,
        "public_id": KEY,
        "notification": LINK,
        "channel": _NOTICE,
        "to": Personal(Category.CONTACT, "where the email or SMS went; matches a bounce", Retention.NOTIFICATIONS),
        "subject": _NOTICE,
        "body_text": _MESSAGE_BODY,
        "body_html": _MESSAGE_BODY,
        "params": _MESSAGE_BODY,
        "status": _NOTICE,
        "attempts": NOT_PERSONAL,
        "next_attempt_at": NOT_PERSONAL,
        "provider_message_id": NotPersonal("the mail or SMS service's random id of the message"),
        "error": NotPersonal("the provider's error code and words"),
        "sent_at": _NOTICE,
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "notify.Preference": {
        "id": KEY,
        "user": LINK,
        "category": _account("the person's choice of which notices they get"),
        "channel": _account("the person's choice of which notices they get"),
        "enabled": _account("the person's choice of which notices they get"),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    "notify.Suppression": {
        "id": KEY,
        "address": Personal(
            Category.CONTACT, "send no more mail to an address that bounced or complained", Retention.NOTIFICATIONS
        ),
        "user": LINK,
        "reason": Personal(Category.CONTACT, "why no mail goes to the address", Retention.NOTIFICATIONS),
        "detail": Personal(Category.CONTACT, "the mail service's words on the bounce", Retention.NOTIFICATIONS),
        "created_at": TIMESTAMP,
        "updated_at": TIMESTAMP,
    },
    # The development stand-in for a mailbox; it holds verification and reset links, as a mailbox would.
    "notify.OutboxEmail": {
        "id": KEY,
        "public_id": KEY,
        "from_email": NotPersonal("the service's own sender address"),
        "to": _OUTBOX_MAIL,
        "subject": _OUTBOX_MAIL,
        "body_text": _OUTBOX_MAIL_BODY,
        "body_html": _OUTBOX_MAIL_BODY,
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
        "token": Personal(
            Category.SECURITY, "not stored (Google is never called later)", Retention.SESSION_EXPIRY, Withheld.SECRET
        ),
        "token_secret": Personal(Category.SECURITY, "not stored", Retention.SESSION_EXPIRY, Withheld.SECRET),
        "expires_at": TIMESTAMP,
    },
    "mfa.Authenticator": {
        "id": KEY,
        "user": LINK,
        "type": _account("which second factor is on"),
        "data": Personal(
            Category.SECURITY,
            "TOTP secret and hashed recovery codes for the second factor",
            Retention.ACCOUNT_LIFETIME,
            Withheld.SECRET,
        ),
        "created_at": TIMESTAMP,
        "last_used_at": Personal(Category.SECURITY, "spot misuse of the second factor", Retention.ACCOUNT_LIFETIME),
    },
    "usersessions.UserSession": {
        "id": KEY,
        "user": LINK,
        "session_key": Personal(
            Category.SECURITY, "sign out a device from the account page", Retention.SESSION_EXPIRY, Withheld.SECRET
        ),
        "ip": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
        "user_agent": Personal(Category.SECURITY, "let the user recognise their devices", Retention.SESSION_EXPIRY),
        "data": Personal(Category.SECURITY, "session bookkeeping", Retention.SESSION_EXPIRY, Withheld.SECRET),
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
        "key": Personal(Category.SECURITY, "confirm an email address", Retention.CONFIRMATION_EXPIRY, Withheld.SECRET),
    },
    "sessions.Session": {
        "session_key": Personal(
            Category.SECURITY, "keep the user signed in", Retention.SESSION_EXPIRY, Withheld.SECRET
        ),
        "session_data": Personal(
            Category.SECURITY, "keep the user signed in", Retention.SESSION_EXPIRY, Withheld.SECRET
        ),
        "expire_date": TIMESTAMP,
    },
    "admin.LogEntry": {
        "id": KEY,
        "action_time": TIMESTAMP,
        "user": LINK,
        "content_type": NOT_PERSONAL,
        "object_id": _OPERATOR_CHANGE,
        "object_repr": _OPERATOR_CHANGE,
        "action_flag": NOT_PERSONAL,
        "change_message": _OPERATOR_CHANGE,
    },
    "auth.Permission": {"id": KEY, "name": NOT_PERSONAL, "content_type": NOT_PERSONAL, "codename": NOT_PERSONAL},
    "auth.Group": {"id": KEY, "name": NOT_PERSONAL, "permissions": NOT_PERSONAL},
    "contenttypes.ContentType": {"id": KEY, "app_label": NOT_PERSONAL, "model": NOT_PERSONAL},
}


def personal_fields(model_label: str) -> dict[str, Personal]:
    """The personal fields of one model, by field name."""
    return {name: entry for name, entry in INVENTORY.get(model_label, {}).items() if isinstance(entry, Personal)}
