"""The privacy policy as facts: everything the policy page states, read from what is configured.

DESIGN.md: "the page cannot say what the code does not do". So the page
(``web/privacy.html``) is a template over ``policy_facts()``, a typed
structure of every fact it states; each fact is read from the profile, the
settings (which providers have keys, which gateway, SMS and email back-end,
storage and database host) or the data inventory, never typed into the
template or per profile.

A version of the policy *is* its facts: ``digest()`` hashes them with
``TEMPLATE_VERSION``, so changing a fact makes a new version and rendering
the same facts again does not. ``privacy.policy_versions`` records each
version the first time it is seen; ``privacy.policy_changes`` says which
differences are material.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from darkroom.privacy.policy_data import Collected, collected
from darkroom.privacy.policy_parties import Party, Use, third_parties
from darkroom.privacy.policy_retention import Period, retention_periods
from darkroom.privacy.policy_rights import Right, rights

__all__ = ["BrowserItem", "Collected", "Party", "Period", "PolicyFacts", "Right", "Security", "Use"]

# Bump when the template words the same facts differently enough that a
# reader would understand something else; layout and style changes need not.
TEMPLATE_VERSION = 1

# static/web/theme.js keeps the dark-mode choice under this key, in localStorage.
THEME_STORAGE_KEY = "darkroom-theme"

# Promises the code keeps by construction, whatever the profile says. Each is
# true because of how Darkroom is built; the comment says why.
COMMITMENTS = (
    # No code path sends personal data anywhere but the third parties listed.
    "no-sale",
    # Darkroom has no training code; the providers' own terms are stated per provider.
    "no-training",
    # Checkout happens on the payment processor's page (or the test gateway, which takes no card).
    "no-card-numbers",
    # Nothing is handed to authorities unless the law compels it (photo-coach §5).
    "disclosure-only-when-required-by-law",
)


@dataclass(frozen=True)
class BrowserItem:
    """Something kept in the visitor's browser: a cookie or a localStorage key."""

    name: str
    kind: str  # "cookie" | "localStorage"
    purpose: str
    essential: bool


@dataclass(frozen=True)
class Security:
    tls: bool  # the service redirects to HTTPS and marks its cookies Secure
    password_hasher: str  # "" when nobody signs in with a password
    private_files: bool  # files only through short-lived signed links after an owner check


@dataclass(frozen=True)
class PolicyFacts:
    """Every fact the policy page states; ``asdict`` of it is what a version hashes and keeps."""

    service: str
    website: str
    operator: str
    operator_kind: str
    contact_email: str
    data_region: str
    minimum_age: int
    sign_in: tuple[str, ...]
    collected: tuple[Collected, ...]
    third_parties: tuple[Party, ...]
    retention: tuple[Period, ...]
    rights: tuple[Right, ...]
    browser: tuple[BrowserItem, ...]
    security: Security
    commitments: tuple[str, ...]
    change_notice: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The facts as plain JSON values (lists, not tuples), as a ``PolicyVersion`` keeps them."""
        loaded: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return loaded

    def period(self, key: str) -> Period | None:
        return next((period for period in self.retention if period.key == key), None)


def _browser() -> tuple[BrowserItem, ...]:
    items = [
        BrowserItem(settings.SESSION_COOKIE_NAME, "cookie", "keeps you signed in", essential=True),
        BrowserItem(settings.CSRF_COOKIE_NAME, "cookie", "protects forms against cross-site request forgery", True),
    ]
    if "Cookie" in settings.MESSAGE_STORAGE or "Fallback" in settings.MESSAGE_STORAGE:
        items.append(BrowserItem("messages", "cookie", "carries a notice to the next page", essential=True))
    if "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE:
        items.append(BrowserItem(settings.LANGUAGE_COOKIE_NAME, "cookie", "remembers your language", essential=True))
    items.append(BrowserItem(THEME_STORAGE_KEY, "localStorage", "remembers dark or light mode", essential=False))
    return tuple(items)


def policy_facts() -> PolicyFacts:
    """The facts of the policy as this process is configured now."""
    profile = settings.PROFILE
    methods = profile.accounts.login_methods
    has_email = bool({"email", "google"} & set(methods))
    return PolicyFacts(
        service=profile.brand.name,
        website=profile.operator.website,
        operator=profile.operator.name,
        operator_kind=profile.operator.kind,
        contact_email=profile.operator.privacy_email,
        data_region=profile.privacy.data_region,
        minimum_age=profile.accounts.minimum_age,
        sign_in=tuple(method for method in ("phone", "email", "google") if method in methods),
        collected=collected(profile),
        third_parties=third_parties(profile),
        retention=retention_periods(profile),
        rights=rights(),
        browser=_browser(),
        security=Security(
            tls=bool(settings.HTTPS),
            password_hasher=profile.accounts.password_hasher if "email" in methods else "",
            private_files=True,
        ),
        commitments=COMMITMENTS,
        # The banner reaches everyone who signs in; email only those with an address.
        change_notice=("in-app notice", "email") if has_email else ("in-app notice",),
    )


def digest_of(facts_json: dict[str, Any], template_version: int | None = None) -> str:
    """The version id of these facts: 32 hex digits (128 bits) of SHA-256 over canonical JSON.

    32 digits fit ``accounts.User.policy_version_accepted`` and cannot collide
    among the versions of one service.
    """
    template = TEMPLATE_VERSION if template_version is None else template_version
    canonical = json.dumps({"facts": facts_json, "template": template}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


_current: tuple[tuple[int, int], PolicyFacts, str] | None = None


def current() -> tuple[PolicyFacts, str]:
    """The current facts and their digest, computed once per configuration.

    Kept in memory for the process: the context processor asks on every
    signed-in page. A changed setting (tests) or a replaced profile object
    computes them again.
    """
    global _current
    key = (id(settings.PROFILE), TEMPLATE_VERSION)
    if _current is None or _current[0] != key:
        facts = policy_facts()
        _current = (key, facts, digest_of(facts.as_json()))
    return _current[1], _current[2]


def current_digest() -> str:
    """The id of the policy version in force now (what a user must have accepted)."""
    return current()[1]


def _forget(**_kwargs: object) -> None:
    global _current
    _current = None


setting_changed.connect(_forget, dispatch_uid="darkroom.privacy.policy.forget")
