"""Every message Darkroom sends, its category, and how it is rendered.

A message is a folder of templates, ``notify/messages/<kind>/``:
``subject.txt`` (the email's subject, and the line in the notification
centre), ``body.txt`` and ``body.html`` (the email), and where they apply
``summary.txt`` (the second line in the centre) and ``sms.txt``. Every string
is marked for translation, and every message speaks in the profile's brand
name, signed by its operator.

Categories decide what a person may turn off (``notify.preferences``): the
account, payment and privacy categories are transactional or legal and
always on; only job notices are optional. There is no marketing category:
Darkroom sends none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


CHANNEL_LABELS: dict[Channel, Promise] = {
    Channel.IN_APP: _("In the app"),
    Channel.EMAIL: _("Email"),
    Channel.SMS: _("Text message"),
}


class Category(StrEnum):
    ACCOUNT = "account"
    BILLING = "billing"
    JOBS = "jobs"
    PRIVACY = "privacy"


@dataclass(frozen=True)
class CategoryInfo:
    """What a category covers, which channels it may use, and whether the person can turn it off."""

    label: Promise
    covers: Promise
    channels: tuple[Channel, ...]
    # False: transactional or legal (a receipt, a deletion receipt, a policy change): always sent.
    optional: bool
    defaults: dict[Channel, bool] = field(default_factory=dict)

    def default(self, channel: Channel) -> bool:
        return self.defaults.get(channel, True)


CATEGORIES: dict[Category, CategoryInfo] = {
    Category.ACCOUNT: CategoryInfo(
        _("Your account"),
        _("Welcome, email address checks, password resets"),
        (Channel.IN_APP, Channel.EMAIL),
        optional=False,
    ),
    Category.BILLING: CategoryInfo(
        _("Payments"),
        _("Receipts, Pro renewals, failed payments, cancellations"),
        (Channel.IN_APP, Channel.EMAIL),
        optional=False,
    ),
    # selfie-studio §2 "service-related notifications (generation complete …)": the one
    # category a person may switch off per channel. Texts cost the operator, so they are opt-in.
    Category.JOBS: CategoryInfo(
        _("Finished jobs"),
        _("When a job is done, or failed and its credits came back"),
        (Channel.IN_APP, Channel.EMAIL, Channel.SMS),
        optional=True,
        defaults={Channel.IN_APP: True, Channel.EMAIL: True, Channel.SMS: False},
    ),
    Category.PRIVACY: CategoryInfo(
        _("Your data and our privacy policy"),
        _("Your data export, account deletion, changes to the privacy policy"),
        (Channel.IN_APP, Channel.EMAIL),
        optional=False,
    ),
}


@dataclass(frozen=True)
class Message:
    """One kind of message. ``closed_accounts``: it may go to an account that is closing (deletion notices)."""

    kind: str
    category: Category
    in_app: bool = True
    closed_accounts: bool = False
    sms: bool = False


MESSAGES: dict[str, Message] = {
    message.kind: message
    for message in (
        Message("welcome", Category.ACCOUNT),
        Message("receipt", Category.BILLING),
        Message("subscription_renewed", Category.BILLING),
        Message("payment_failed", Category.BILLING),
        Message("subscription_cancelled", Category.BILLING),
        Message("job_finished", Category.JOBS, sms=True),
        Message("job_failed", Category.JOBS, sms=True),
        Message("export_ready", Category.PRIVACY),
        # The person can no longer sign in once deletion is asked for: email only, and to a closing account.
        Message("account_deletion_scheduled", Category.PRIVACY, in_app=False, closed_accounts=True),
        Message("account_deleted", Category.PRIVACY, in_app=False, closed_accounts=True),
        Message("policy_changed", Category.PRIVACY),
    )
}


class UnknownMessage(KeyError):
    """No message of this kind exists (a typo in a trigger)."""


def message(kind: str) -> Message:
    try:
        return MESSAGES[kind]
    except KeyError:
        raise UnknownMessage(kind) from None


@dataclass(frozen=True)
class Rendered:
    """A message as the person reads it; ``sms`` and ``summary`` are empty where the message has none."""

    subject: str
    text: str
    html: str
    summary: str
    sms: str


def site_url() -> str:
    """Where links in messages point: ``PUBLIC_URL``, else the profile's website."""
    base: str = settings.PUBLIC_URL or settings.PROFILE.operator.website or ""
    return base.rstrip("/")


def absolute(path: str) -> str:
    """``/jobs/…`` → ``https://example.com/jobs/…``; an absolute URL is kept."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return site_url() + path


def _one_line(text: str) -> str:
    return " ".join(text.split())


def layout_context(*, name: str = "", optional: bool = False, category_label: object = "") -> dict[str, Any]:
    """What the email layout (``notify/email/base.*``) needs: the brand, the operator, the footer's links.

    Also given to allauth's account emails (accounts.adapter), so they wear the same layout.
    """
    profile = settings.PROFILE
    return {
        "brand": profile.brand.name,
        "operator": profile.operator.name,
        "contact": profile.operator.contact_email,
        "privacy_contact": profile.operator.privacy_email,
        "site_url": site_url(),
        "name": name,
        "settings_url": absolute(reverse("notify:preferences")),
        "privacy_url": absolute(reverse("web:privacy")),
        "optional": optional,
        "category_label": category_label,
    }


def render(kind: str, context: dict[str, Any], *, name: str = "", link: str = "") -> Rendered:
    """Render every part of message ``kind`` in the service's language.

    ``context`` is the message's own facts (a job's kind, an order's amount);
    the brand, the operator, the greeting and the links are added here.
    """
    spec = message(kind)
    info = CATEGORIES[spec.category]
    full = {
        **context,
        **layout_context(name=name, optional=info.optional, category_label=info.label),
        "link": absolute(link),
    }
    folder = f"notify/messages/{kind}"
    # Rendered in the service's language whatever the calling request had active: a worker has none.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _one_line(render_to_string(f"{folder}/subject.txt", full))
        text = render_to_string(f"{folder}/body.txt", full).strip() + "\n"
        html = render_to_string(f"{folder}/body.html", {**full, "subject": subject})
        summary = _one_line(render_to_string(f"{folder}/summary.txt", full)) if spec.in_app else ""
        sms = _one_line(render_to_string(f"{folder}/sms.txt", full)) if spec.sms else ""
    return Rendered(subject=subject, text=text, html=html, summary=summary, sms=sms)
