"""What the policy says Darkroom collects, and under which retention period each part is kept.

The list is the data inventory (``privacy/inventory.py``) grouped into the
items a reader understands ("your mobile number", "photos you upload"), each
with why it is held; its category and retention come from the inventory
entries of its fields, with the profile's numbers. A personal field that no
item names still appears, under its model's name and the inventory's own
purpose: a new kind of data cannot be left off the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings

from darkroom.privacy.inventory import INVENTORY, Personal, Retention
from darkroom.profile import Profile


@dataclass(frozen=True)
class Collected:
    """One kind of personal data, as the policy lists it."""

    key: str
    what: str
    why: str
    category: str  # inventory.Category
    kept: tuple[str, ...]  # keys of the retention periods that apply (policy_retention)


def _always(profile: Profile) -> bool:
    return True


def _offers(*methods: str) -> Callable[[Profile], bool]:
    def applies(profile: Profile) -> bool:
        return bool(set(methods) & set(profile.accounts.login_methods))

    return applies


@dataclass(frozen=True)
class _Item:
    key: str
    what: str
    why: str
    fields: tuple[str, ...]  # "app.Model.field", as the inventory names them
    applies: Callable[[Profile], bool] = _always
    kept: tuple[str, ...] = ()  # instead of the periods of the fields' retention rules


_PHOTO = tuple(
    f"photos.Photo.{name}"
    for name in ("file_key", "thumb_key", "preview_key", "blurhash", "sha256", "created_at", "last_generation_at")
)
_BILLING = (
    "billing.Wallet.gateway_customer_id",
    *(f"billing.LedgerEntry.{name}" for name in ("amount", "kind", "description", "created_at")),
    *(
        f"billing.Order.{name}"
        for name in (
            "kind",
            "product",
            "description",
            "amount",
            "currency",
            "credits",
            "status",
            "gateway_session_id",
            "gateway_payment_id",
            "gateway_invoice_id",
            "gateway_subscription_id",
            "amount_refunded",
            "credits_reversed",
            "paid_at",
            "created_at",
        )
    ),
    *(
        f"billing.Subscription.{name}"
        for name in (
            "gateway_subscription_id",
            "gateway_customer_id",
            "status",
            "current_period_end",
            "cancel_at_period_end",
            "created_at",
        )
    ),
    "billing.AccountFlag.reason",
    "billing.AccountFlag.credits_short",
)

ITEMS: tuple[_Item, ...] = (
    _Item(
        "phone",
        "your phone number",
        "to sign you in with a code sent by text message",
        ("accounts.User.phone", "accounts.User.phone_verified"),
        _offers("phone"),
    ),
    _Item(
        "sign-in-codes",
        "one-time sign-in codes, kept only as a one-way hash and discarded once used",
        "to prove that the number or address is yours",
        ("notify.OutboxSms.to", "notify.OutboxSms.body"),
        _offers("phone"),
    ),
    _Item(
        "email",
        "your email address",
        "to sign you in and to send account emails (receipts, password resets, policy changes)",
        ("accounts.User.email", "account.EmailAddress.email", "account.EmailConfirmation.key", "billing.Order.email"),
        _offers("email", "google"),
    ),
    _Item(
        "password",
        "your password, stored only as a one-way hash",
        "to sign you in",
        ("accounts.User.password",),
        _offers("email"),
    ),
    _Item(
        "google",
        "your Google account id and the profile Google shares when you sign in (name, email address, picture)",
        "to sign you in with Google",
        tuple(
            f"socialaccount.SocialAccount.{name}"
            for name in ("provider", "uid", "last_login", "date_joined", "extra_data")
        ),
        _offers("google"),
    ),
    _Item("name", "the name you give us", "to address you", ("accounts.User.name",)),
    _Item(
        "choices",
        "that you confirmed you are old enough (never your date of birth), the versions of this policy you "
        "accepted and were told about, and whether you opted out of usage data",
        "to keep the age limit, and to record your consent and your choices",
        (
            "accounts.User.age_confirmed_at",
            "accounts.User.minimum_age_confirmed",
            "accounts.User.policy_version_accepted",
            "accounts.User.usage_opt_out",
            "accounts.User.deletion_requested_at",
            "accounts.User.date_joined",
            "privacy.PolicyAcceptance.accepted_at",
            "privacy.PolicyAcceptance.via",
            "privacy.PolicyNotice.sent_at",
        ),
    ),
    _Item("uploads", "photos you upload", "to make what you ask for from them", _PHOTO, kept=("uploads",)),
    _Item(
        "results", "images and videos made for you", "so that you can view and download them", _PHOTO, kept=("results",)
    ),
    _Item(
        "jobs",
        "what you asked for: each job's kind, settings and prompt, what it cost, what was found in the photo, and when",
        "to do the job, and to show you your history",
        tuple(
            f"studio.Job.{name}"
            for name in ("kind", "params", "credits", "report", "started_at", "finished_at", "created_at")
        ),
    ),
    _Item(
        "payments",
        "orders and credit transactions: amount, time, order id and what was bought (never your card number)",
        "to take payments and keep your credit balance, and because tax law requires the records",
        _BILLING,
    ),
    _Item(
        "payment-notifications",
        "the payment processor's notices about your payments, which include the payer's name and email address",
        "to confirm a payment",
        ("billing.WebhookEvent.payload",),
    ),
    _Item(
        "processor-log",
        "which third party received which of your photos and prompts, and when",
        "to tell you where your data went",
        tuple(f"privacy.Transfer.{name}" for name in ("provider", "data", "request_id", "sent_at")),
    ),
    _Item(
        "sessions",
        "your sign-in sessions: IP address, browser and device, and when you last signed in",
        "to keep you signed in, let you see and end your sessions, and spot misuse",
        (
            *(
                f"usersessions.UserSession.{name}"
                for name in ("session_key", "ip", "user_agent", "data", "created_at", "last_seen_at")
            ),
            "sessions.Session.session_key",
            "sessions.Session.session_data",
            "accounts.User.last_login",
        ),
    ),
    _Item(
        "usage",
        "usage data: which feature you used, the kind of device and the browser family (no IP address)",
        "to debug and improve the service",
        tuple(f"privacy.UsageEvent.{name}" for name in ("feature", "device_type", "browser_family", "created_at")),
    ),
    _Item(
        "exports",
        "the copies of your data that you ask for",
        "so that you can download them",
        ("privacy.Export.file_key", "privacy.Export.created_at"),
    ),
    _Item(
        "notifications",
        "the notices we send you in the app, by email and by text message: what each was about, where it went, "
        "whether it arrived and whether you read it; and which job notices you turned off",
        "to tell you about your jobs, payments and data, and to send you no more than you chose",
        (
            *(
                f"notify.Notification.{name}"
                for name in ("kind", "category", "title", "summary", "read_at", "created_at")
            ),
            *(
                f"notify.Delivery.{name}"
                for name in ("channel", "to", "subject", "body_text", "body_html", "params", "status", "sent_at")
            ),
            *(f"notify.Preference.{name}" for name in ("category", "channel", "enabled")),
        ),
    ),
    _Item(
        "suppressions",
        "email addresses that bounced for good, or whose owner marked our email as spam",
        "to send no more email there",
        tuple(f"notify.Suppression.{name}" for name in ("address", "reason", "detail")),
        _offers("email", "google"),
    ),
    _Item(
        "email-outbox",
        "emails kept on this server instead of being sent, while no mail service is set up (a test installation)",
        "so that whoever runs the test installation can read them",
        tuple(f"notify.OutboxEmail.{name}" for name in ("to", "subject", "body_text", "body_html")),
        lambda profile: settings.EMAIL_BACKEND == "darkroom.notify.email.outbox.EmailBackend",
    ),
    _Item(
        "server-logs",
        "web server logs: for each request, the IP address, time, page and browser",
        "to run the service, find faults and prevent abuse",
        (),
        kept=("server-logs",),
    ),
    _Item(
        "api-tokens",
        "the names of API tokens you create, and when each was last used",
        "to let you manage them and spot a leaked one",
        ("accounts.ApiToken.name", "accounts.ApiToken.last_used_at"),
    ),
    _Item(
        "second-factor",
        "your second-factor key (encrypted) and recovery codes (hashed), if you turn it on",
        "to protect your account",
        ("mfa.Authenticator.type", "mfa.Authenticator.data", "mfa.Authenticator.last_used_at"),
    ),
    _Item(
        "operator-actions",
        "records of what our staff changed on your account (manual credit adjustments, settled refunds)",
        "to account for every change made by hand",
        (
            "admin.LogEntry.object_id",
            "admin.LogEntry.object_repr",
            "admin.LogEntry.change_message",
            "billing.LedgerEntry.operator",
            "billing.AccountFlag.resolved_by",
        ),
    ),
)

# Google's tokens: allauth's model, never written while SOCIALACCOUNT_STORE_TOKENS is off.
NOT_STORED_WITHOUT_TOKENS = ("socialaccount.SocialToken.token", "socialaccount.SocialToken.token_secret")

# Each inventory retention rule as the policy's period key.
_PERIOD_OF_RULE = {
    Retention.ACCOUNT_LIFETIME: "account",
    Retention.UNTIL_USER_DELETES: "until-deleted",
    Retention.UPLOAD_AFTER_GENERATION: "uploads",
    Retention.SESSION_EXPIRY: "sessions",
    Retention.CONFIRMATION_EXPIRY: "confirmations",
    Retention.CODE_LIFETIME: "codes",
    Retention.OPERATOR_AUDIT: "account",
    Retention.TRANSACTION_RECORDS: "orders",
    Retention.PAYMENT_NOTIFICATIONS: "payment-notifications",
}
# Rules added with usage data and exports; looked up by name so this table works with or without them.
for _name, _key in (("USAGE_LOGS", "usage"), ("EXPORT_LINK", "exports")):
    if _name in Retention.__members__:
        _PERIOD_OF_RULE[Retention[_name]] = _key


def _personal(field: str) -> Personal | None:
    label, _, name = field.rpartition(".")
    entry = INVENTORY.get(label, {}).get(name)
    return entry if isinstance(entry, Personal) else None


def period_key(rule: Retention) -> str:
    """The policy's period key (``policy_retention``) for an inventory retention rule."""
    return _PERIOD_OF_RULE.get(rule, f"rule:{rule.name.lower()}")


def _from_fields(key: str, what: str, why: str, fields: list[tuple[str, Personal]], kept: tuple[str, ...]) -> Collected:
    categories = sorted({entry.category.value for _, entry in fields}) or ["usage"]
    periods = kept or tuple(dict.fromkeys(period_key(entry.retention) for _, entry in fields))
    return Collected(key=key, what=what, why=why, category=", ".join(categories), kept=periods)


def collected(profile: Profile) -> tuple[Collected, ...]:
    """The kinds of personal data this service holds, in the order the page lists them."""
    items: list[Collected] = []
    named: set[str] = set()
    if not settings.SOCIALACCOUNT_STORE_TOKENS:
        named.update(NOT_STORED_WITHOUT_TOKENS)  # the model exists; no row is ever written
    for item in ITEMS:
        named.update(item.fields)
        fields = [(field, entry) for field in item.fields if (entry := _personal(field)) is not None]
        if not item.applies(profile) or (item.fields and not fields):
            continue  # not offered here, or no such data in this version of Darkroom
        items.append(_from_fields(item.key, item.what, item.why, fields, item.kept))
    # Anything personal that no item above names: listed under its model, with the inventory's words.
    for label, entries in INVENTORY.items():
        left = [(f"{label}.{name}", e) for name, e in entries.items() if isinstance(e, Personal)]
        left = [(field, entry) for field, entry in left if field not in named]
        if not left:
            continue
        try:
            what = str(apps.get_model(label)._meta.verbose_name_plural)
        except LookupError:
            what = label
        why = "; ".join(sorted({entry.purpose for _, entry in left}))
        items.append(_from_fields(f"other:{label}", what, why, left, ()))
    return tuple(items)
