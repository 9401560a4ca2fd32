"""Where one person's rows are, read from the inventory: what account deletion removes and what it keeps.

DESIGN.md invariant 5: erasure is driven by ``privacy/inventory.py``, as the
export is (``privacy.archive``), never by a list kept here. Every model with a
personal field is one of:

- *held*: a chain of ``LINK`` fields leads from it to the user
  (``archive.owner_path``), so the person's rows are one filter away. They are
  deleted, except transaction records (a field under
  ``Retention.TRANSACTION_RECORDS``), which are kept for their legal period and
  cut from the person by ``billing.actions.do_pseudonymise``;
- *unlinked*: no ``LINK`` reaches the user; ``UNLINKED`` says how the person's
  rows are found instead (a session by the keys of their devices…).

``tests/privacy/test_erasure.py`` fails when a model is neither, so a model
added tomorrow is erased with the account, or the test says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from darkroom.privacy.archive import NotLinked, owner_path
from darkroom.privacy.inventory import INVENTORY, Category, Personal, Retention

STORAGE = "storage"  # the key under which stored objects are counted, beside the model labels

# How the receipt names each record; a model not listed here appears under its own verbose name.
NAMES: dict[str, str] = {
    "accounts.User": "your account: name, email address, phone number, sign-up and consent record",
    "accounts.ApiToken": "API tokens",
    "photos.Photo": "photos you uploaded and results made for you",
    STORAGE: "stored files: originals, previews, thumbnails and export archives",
    "studio.Job": "jobs: what you asked for, its settings and what was measured in the photo",
    "privacy.Transfer": "records of which third party received which of your photos and prompts",
    "privacy.UsageEvent": "usage events",
    "privacy.Export": "exports of your data",
    "privacy.PolicyAcceptance": "records of your consent to the privacy policy",
    "privacy.PolicyNotice": "records of emails about changes to the privacy policy",
    "socialaccount.SocialAccount": "Google sign-in connections",
    "socialaccount.SocialToken": "Google sign-in tokens",
    "mfa.Authenticator": "second-factor keys and recovery codes",
    "usersessions.UserSession": "signed-in devices (IP address, browser)",
    "sessions.Session": "sign-in sessions",
    "account.EmailAddress": "email addresses",
    "account.EmailConfirmation": "email address confirmations",
    "admin.LogEntry": "records of changes our staff made to your account",
    "notify.Notification": "notifications",
    "notify.Delivery": "records of the emails and texts we sent you",
    "notify.Preference": "your notification settings",
    "notify.Suppression": "addresses we were not to email (they bounced, or our mail was marked as spam)",
    "notify.OutboxSms": "text messages waiting in the outbox",
    "notify.OutboxEmail": "emails to you kept in the outbox (this server keeps mail instead of sending it)",
    "billing.WebhookEvent": "payment processor notices with your name and email (their details cleared)",
    "billing.Order": "orders: amount, date, order id and what was bought",
    "billing.LedgerEntry": "credit transactions",
    "billing.Subscription": "subscription records",
    "billing.AccountFlag": "notes on refunds of credits already spent",
    "billing.Wallet": "your credit account, which holds the records above together",
}

# Models no LINK chain ties to the user, and how privacy.erasure finds the person's rows in them.
UNLINKED: dict[str, str] = {
    "sessions.Session": "by the keys of the person's devices (usersessions.UserSession)",
    "notify.OutboxSms": "by the person's phone number",
    "notify.OutboxEmail": "by the person's email address among its recipients",
    "billing.WebhookEvent": "by the person's email address, wallet or payment customer in the notice",
}


@dataclass(frozen=True)
class Holding:
    """One model that holds rows of a person: how they are found, and whether they are kept."""

    label: str
    model: type[models.Model]
    path: str  # ORM lookup from a row to its user; "" for the user model itself
    category: Category
    kept: bool  # transaction records: pseudonymised, kept for their legal period

    def rows(self, user_id: int) -> models.QuerySet[Any]:
        lookup = {self.path: user_id} if self.path else {"pk": user_id}
        return self.model._default_manager.filter(**lookup)


def _personal(label: str) -> list[Personal]:
    return [entry for entry in INVENTORY[label].values() if isinstance(entry, Personal)]


def name_of(label: str) -> str:
    """The receipt's words for one kind of record."""
    if label in NAMES:
        return NAMES[label]
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return label


def category_of(label: str) -> Category:
    """The category the receipt files a model under: that of its first personal field."""
    if label == STORAGE:
        return Category.CONTENT
    personal = _personal(label) if label in INVENTORY else []
    return personal[0].category if personal else Category.ACCOUNT


def holdings() -> list[Holding]:
    """Every model with personal data that LINK fields tie to a user, in inventory order."""
    found = []
    for label in INVENTORY:
        personal = _personal(label)
        if not personal:
            continue
        model = apps.get_model(label)
        try:
            path = owner_path(model)
        except NotLinked:
            continue
        kept = any(entry.retention is Retention.TRANSACTION_RECORDS for entry in personal)
        found.append(Holding(label, model, path, personal[0].category, kept))
    return found


def unlinked_labels() -> list[str]:
    """Models with personal data that no LINK chain ties to a user: each must be in ``UNLINKED``."""
    labels = []
    for label in INVENTORY:
        if not _personal(label):
            continue
        try:
            owner_path(apps.get_model(label))
        except NotLinked:
            labels.append(label)
    return labels
