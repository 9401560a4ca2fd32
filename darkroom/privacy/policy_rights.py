"""The rights the policy states, each with where to use it.

A right links to its page when this version of Darkroom has one (the URL
name resolves); otherwise the policy says to write to the privacy contact,
and the operator answers by hand. So the page never points at a button that
does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

# The pages that let a person use each right themselves, first found wins.
PAGES = {
    "access": ("privacy:centre", "accounts:account"),
    "correction": ("accounts:account",),
    "export": ("privacy:export",),
    "delete-content": ("photos:gallery",),
    "delete-account": ("privacy:delete_account", "accounts:delete"),
    "usage-opt-out": ("accounts:usage", "privacy:usage"),
}
WHAT = {
    "access": "see the data we hold about you",
    "correction": "correct your name, email address or phone number",
    "export": "get a copy of your data in a machine-readable form",
    "delete-content": "delete your photos and results at any time",
    "delete-account": "delete your account and all the data that belongs to it",
    "usage-opt-out": "opt out of usage data (the service keeps working)",
}


@dataclass(frozen=True)
class Right:
    key: str
    what: str
    url: str  # the page that does it; "" when it is done by writing to the privacy contact


def _page(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def rights() -> tuple[Right, ...]:
    """Every right, in the order the page lists them; opting out only where usage data is kept."""
    from darkroom.privacy.inventory import INVENTORY

    keys = [key for key in PAGES if key != "usage-opt-out" or "privacy.UsageEvent" in INVENTORY]
    return tuple(Right(key, WHAT[key], _page(PAGES[key])) for key in keys)
