"""What changed between two versions of the policy, and which changes are material.

A change is *material* when it lets Darkroom do more with someone's data
than the version they accepted allowed, or protects it less: a new
third party, or one receiving more or doing more; a new kind of data or a
new purpose; anything kept longer; a lower minimum age; another data region
or operator; a right, a promise, a way of being told about changes, a
security measure or a non-essential browser item taken away or added.
Material changes are emailed (policy_versions.do_send_policy_notices).

Everything else is a change but not material: a new contact address or
website, a third party dropped, something kept for less time, a new right
or page to use one, a provider's own retention statement, new wording of
the template. Those still make a new version and the in-app notice, since
the text a person accepted is no longer the text shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from darkroom.privacy.policy_parties import FEATURE_WORDS
from darkroom.privacy.policy_retention import period_words

Facts = dict[str, Any]


@dataclass(frozen=True)
class Change:
    what: str  # in words for the person: "New third party: Kling (animate)"
    material: bool


def _by_key(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def _scalars(old: Facts, new: Facts) -> list[Change]:
    changes = []
    if (old["operator"], old["operator_kind"]) != (new["operator"], new["operator_kind"]):
        changes.append(Change(f"The service is now run by {new['operator']} (was {old['operator']})", True))
    if old["data_region"] != new["data_region"]:
        changes.append(Change(f"Data is now stored in {new['data_region']} (was {old['data_region']})", True))
    if new["minimum_age"] != old["minimum_age"]:
        lower = new["minimum_age"] < old["minimum_age"]
        changes.append(Change(f"The minimum age is now {new['minimum_age']} (was {old['minimum_age']})", lower))
    if old["service"] != new["service"]:
        changes.append(Change(f"The service is now called {new['service']} (was {old['service']})", False))
    if old["website"] != new["website"]:
        changes.append(Change(f"The service's website is now {new['website']}", False))
    if old["contact_email"] != new["contact_email"]:
        changes.append(Change(f"Privacy questions now go to {new['contact_email']}", False))
    for method in set(new["sign_in"]) - set(old["sign_in"]):
        changes.append(Change(f"You can now sign in with {method}", False))
    for method in set(old["sign_in"]) - set(new["sign_in"]):
        changes.append(Change(f"Signing in with {method} is no longer offered", False))
    return changes


def _collected(old: Facts, new: Facts) -> list[Change]:
    before, after = _by_key(old["collected"], "key"), _by_key(new["collected"], "key")
    changes = [
        Change(f"We now collect {item['what']}, {item['why']}", True) for k, item in after.items() if k not in before
    ]
    changes += [Change(f"We no longer collect {item['what']}", False) for k, item in before.items() if k not in after]
    for key in before.keys() & after.keys():
        was, now = before[key], after[key]
        if (was["what"], was["why"], was["category"]) != (now["what"], now["why"], now["category"]):
            changes.append(Change(f"What we say about {now['what']} changed: {now['why']}", True))
    return changes


def _parties(old: Facts, new: Facts) -> list[Change]:
    before, after = _by_key(old["third_parties"], "name"), _by_key(new["third_parties"], "name")
    changes = []
    for name, party in after.items():
        features = ", ".join(dict.fromkeys(FEATURE_WORDS.get(use["feature"], use["feature"]) for use in party["uses"]))
        if name not in before:
            changes.append(
                Change(f"New third party: {name} ({features}) receives {', '.join(party['receives'])}", True)
            )
            continue
        was = before[name]
        more = [item for item in party["receives"] if item not in was["receives"]]
        if more:
            changes.append(Change(f"{name} now also receives {', '.join(more)}", True))
        new_uses = {use["feature"] for use in party["uses"]} - {use["feature"] for use in was["uses"]}
        if new_uses:
            uses = ", ".join(FEATURE_WORDS.get(feature, feature) for feature in sorted(new_uses))
            changes.append(Change(f"{name} is now also used for {uses}", True))
        if party["uses"] != was["uses"] and not new_uses:
            changes.append(Change(f"When {name} is used changed", False))
        if party["their_retention"] != was["their_retention"]:
            changes.append(Change(f"{name} states a new retention: {party['their_retention']}", False))
    changes += [Change(f"{name} no longer receives any of your data", False) for name in before if name not in after]
    return changes


def _days(period: dict[str, Any]) -> float:
    if period["amount"] is None:
        return float("inf")
    scale = {"minutes": 1 / 1440, "days": 1, "years": 366}.get(period["unit"], 1)
    return float(period["amount"]) * scale


def _retention(old: Facts, new: Facts) -> list[Change]:
    before, after = _by_key(old["retention"], "key"), _by_key(new["retention"], "key")
    changes = []
    for key, period in after.items():
        words = period_words(period["amount"], period["unit"], period["after"])
        if key not in before:
            changes.append(Change(f"New: {period['what']} are kept {words}", True))
        elif _days(period) != _days(before[key]) or period["after"] != before[key]["after"]:
            was = before[key]
            longer = _days(period) > _days(was)
            was_words = period_words(was["amount"], was["unit"], was["after"])
            changes.append(Change(f"{period['what'].capitalize()} are now kept {words} (was {was_words})", longer))
    return changes


def _rights(old: Facts, new: Facts) -> list[Change]:
    before, after = _by_key(old["rights"], "key"), _by_key(new["rights"], "key")
    changes = [Change(f"You can no longer {right['what']}", True) for k, right in before.items() if k not in after]
    for key, right in after.items():
        if key not in before:
            changes.append(Change(f"You can now {right['what']}", False))
        elif right["url"] and not before[key]["url"]:
            changes.append(Change(f"You can now {right['what']} yourself, from a page of the service", False))
        elif before[key]["url"] and not right["url"]:
            changes.append(Change(f"To {right['what']}, you now write to us", False))
    return changes


def _browser(old: Facts, new: Facts) -> list[Change]:
    before, after = _by_key(old["browser"], "name"), _by_key(new["browser"], "name")
    changes = []
    for name, item in after.items():
        if name not in before:
            changes.append(
                Change(f"New {item['kind']} in your browser: {name} ({item['purpose']})", not item["essential"])
            )
    return changes + [
        Change(f"{name} is no longer kept in your browser", False) for name in before if name not in after
    ]


def _promises(old: Facts, new: Facts) -> list[Change]:
    changes = []
    for promise in set(old["commitments"]) - set(new["commitments"]):
        changes.append(Change(f"A promise was withdrawn: {promise}", True))
    for channel in set(old["change_notice"]) - set(new["change_notice"]):
        changes.append(Change(f"Changes are no longer announced by {channel}", True))
    was, now = old["security"], new["security"]
    if was["tls"] != now["tls"]:
        encrypted = "now" if now["tls"] else "no longer"
        changes.append(Change(f"Connections are {encrypted} required to be encrypted (HTTPS)", not now["tls"]))
    if was["private_files"] and not now["private_files"]:
        changes.append(Change("Files are no longer served only through short-lived private links", True))
    if was["password_hasher"] != now["password_hasher"] and now["password_hasher"]:
        changes.append(Change(f"Passwords are now hashed with {now['password_hasher']}", False))
    return changes


def compare(old: Facts, new: Facts, *, old_template: int, new_template: int) -> list[Change]:
    """Every difference from ``old`` to ``new``, material ones first.

    A fact the older version did not record yet (Darkroom learnt to state it
    later) counts as unchanged: its first appearance is a new wording, not a
    new practice.
    """
    old = {**new, **old}
    changes = [
        *_scalars(old, new),
        *_collected(old, new),
        *_parties(old, new),
        *_retention(old, new),
        *_rights(old, new),
        *_browser(old, new),
        *_promises(old, new),
    ]
    if old_template != new_template:
        changes.append(Change("The wording of the policy changed", False))
    return sorted(changes, key=lambda change: not change.material)


def is_material(changes: list[Change]) -> bool:
    return any(change.material for change in changes)
