"""How long each thing the policy lists is kept: the periods, with the profile's and the settings' numbers.

Each collected item (policy_data) names its periods by key; the periods
come from the profile's ``[privacy.retention]``, the sign-in settings (code
lifetime, session age, email confirmation days) and billing's own rule for
payment notifications, so the page says what the sweeps and the code do.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account import app_settings as allauth_account
from django.conf import settings

from darkroom.privacy.inventory import Retention
from darkroom.privacy.policy_data import collected
from darkroom.profile import Profile

# Gateway notifications keep the payer's details this long (billing/reconcile.py PAYLOAD_KEPT).
PAYMENT_NOTIFICATION_DAYS = 35


@dataclass(frozen=True)
class Period:
    """How long something is kept. ``amount`` None: until you delete it (or your account)."""

    key: str
    what: str
    amount: int | None
    unit: str  # "minutes" | "days" | "years" | ""
    after: str = ""  # what the period counts from, or what ends it early

    @property
    def words(self) -> str:
        return period_words(self.amount, self.unit, self.after)


def period_words(amount: int | None, unit: str, after: str) -> str:
    """A period as the page says it: "30 days after the last job that used them"."""
    if amount is None:
        return after or "until you delete them, or your account"
    noun = unit[:-1] if amount == 1 and unit.endswith("s") else unit
    if not after:
        return f"{amount} {noun}"
    return f"{amount} {noun}{'' if after.startswith(',') else ' '}{after}"


def retention_periods(profile: Profile) -> tuple[Period, ...]:
    """Every period the listed data is kept for, with the profile's numbers; plus the deletion promise."""
    retention = profile.privacy.retention
    session_days = max(1, settings.SESSION_COOKIE_AGE // 86400)
    known = {
        "account": Period("account", "your account and what belongs to it", None, "", "until you delete your account"),
        "until-deleted": Period("until-deleted", "your history and settings", None, "", "until you delete them"),
        "uploads": Period(
            "uploads",
            "photos you upload",
            retention.uploads_days_after_generation or None,
            "days",
            "after the last job that used them" if retention.uploads_days_after_generation else "",
        ),
        "results": Period(
            "results",
            "results made for you",
            retention.results_days or None,
            "days",
            "after they are made" if retention.results_days else "",
        ),
        "orders": Period("orders", "orders and payment records", retention.orders_years, "years", ", then deleted"),
        "payment-notifications": Period(
            "payment-notifications",
            "payment processor notices",
            PAYMENT_NOTIFICATION_DAYS,
            "days",
            ", then their details are cleared",
        ),
        "usage": Period("usage", "usage data", retention.usage_logs_days, "days", ", and none at all once you opt out"),
        "codes": Period(
            "codes",
            "sign-in codes",
            settings.ACCOUNT_PHONE_VERIFICATION_TIMEOUT // 60,
            "minutes",
            "or until used",
        ),
        "confirmations": Period(
            "confirmations", "email confirmation links", allauth_account.EMAIL_CONFIRMATION_EXPIRE_DAYS, "days", ""
        ),
        "sessions": Period("sessions", "sign-in sessions", session_days, "days", "or until you sign out"),
        "exports": Period(
            "exports",
            "copies of your data",
            getattr(retention, "export_link_days", None),
            "days",
            "after they are ready, then deleted",
        ),
        "server-logs": Period(
            "server-logs",
            "web server logs",
            None,
            "",
            "written to the server's standard output; kept as long as its log system keeps them",
        ),
    }
    used = dict.fromkeys(key for item in collected(profile) for key in item.kept)
    periods = [known.get(key) or _unknown_rule(key) for key in used]
    periods.append(
        Period(
            "deletion",
            "everything above, once you delete your account",
            retention.account_deletion_days,
            "days",
            "at most (order records stay, without your name or contact details, for their legal period)",
        )
    )
    return tuple(periods)


def _unknown_rule(key: str) -> Period:
    name = key.removeprefix("rule:").upper()
    rule = Retention[name] if name in Retention.__members__ else None
    return Period(key, rule.value if rule else key, None, "", rule.value if rule else "")
